/* cli: argument parsing and subcommand dispatch. Returns the process exit status. */
#ifndef HC_CLI_H
#define HC_CLI_H

int cli_main(int argc, char **argv);

#endif
