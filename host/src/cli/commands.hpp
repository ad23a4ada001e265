// The subcommands of the signet executable. Each returns the exit code:
// 0 success, 1 refused or failed (reason on stderr), 2 usage error.
#pragma once

namespace signet::host {

int command_serve(int argc, char** argv);
int command_config(int argc, char** argv);
int command_plugins(int argc, char** argv);
int command_token(int argc, char** argv);

}  // namespace signet::host
