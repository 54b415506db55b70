// lvscare: keeps a virtual server pointing only at healthy real servers.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"lvscare: keeps a Kubernetes apiserver VIP pointing only at healthy masters", "lvscare"};
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);
  if (argc == 1) std::fputs(app.help().c_str(), stdout);
  return 0;
}
