// The infra ("pause") process of the pods the podman test plays: podman kube play always makes an
// infra container, and no registry is reachable to pull one. Linked statically so that it runs
// alone in a FROM scratch image. It waits for SIGTERM or SIGINT and exits.
#include <signal.h>

int main() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  // Blocked, then waited for: no signal can slip in between a check and the wait.
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  int received = 0;
  sigwait(&stop, &received);
  return 0;
}
