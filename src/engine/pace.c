/* The token bucket behind --rate: credit grows continuously with time, so connections leave
 * evenly spaced instead of in bursts once per second (a burst is what a stateful firewall
 * or an IDS on the path counts as a flood, and what overflows a small uplink's queue).
 * Credit is kept in nano-tokens so that integer arithmetic stays exact at any rate. */
#include "engine/engine.h"

static const uint64_t TOKEN = 1000000000; /* nano-tokens in one token */

/* The cap adds PACE_SLACK_MS of credit to the burst: the timer that waits for a token wakes
 * up a little late, and with a cap of exactly one token every late millisecond would be lost
 * (at 100/s, 5% of the rate). The slack keeps it, and the start is the bare burst. */
void pace_init(struct pace *p, uint32_t per_second, uint64_t now_ns)
{
    uint64_t burst = per_second / PACE_BURST_DIVISOR;
    p->rate = per_second;
    p->credit = (burst > 1 ? burst : 1) * TOKEN;
    p->cap = p->credit + (uint64_t)per_second * PACE_SLACK_MS * 1000000;
    p->last_ns = now_ns;
}

static void refill(struct pace *p, uint64_t now_ns)
{
    uint64_t elapsed = now_ns > p->last_ns ? now_ns - p->last_ns : 0;
    p->last_ns = now_ns;
    /* Divide rather than multiply: after a long idle, elapsed * rate would overflow. */
    uint64_t missing = p->cap - p->credit;
    if (elapsed > missing / p->rate)
        p->credit = p->cap;
    else
        p->credit += elapsed * p->rate; /* elapsed <= missing / rate: at most cap */
}

bool pace_take(struct pace *p, uint64_t now_ns)
{
    if (p->rate == 0)
        return true;
    refill(p, now_ns);
    if (p->credit < TOKEN)
        return false;
    p->credit -= TOKEN;
    return true;
}

uint64_t pace_wait_ns(struct pace *p, uint64_t now_ns)
{
    if (p->rate == 0)
        return 0;
    refill(p, now_ns);
    if (p->credit >= TOKEN)
        return 0;
    return (TOKEN - p->credit + p->rate - 1) / p->rate; /* rounded up: never early */
}
