// Linked with every object of signet_core and nothing of the front
// (host/CMakeLists.txt): that it links at all is the check.
int main() { return 0; }
