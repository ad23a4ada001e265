// A loadable module that is not a Signet plugin: it exports a function, but
// no signet_plugin_entry.
extern "C" __attribute__((visibility("default"))) int signet_test_something_else() { return 42; }
