#include "testing/fake_prober.hpp"

#include <algorithm>

namespace lvscare::health {

class FakeProbers::FakeProber final : public Prober {
 public:
  FakeProber(FakeProbers& owner, Endpoint target)
      : owner_(owner), target_(target), timer_(owner.dispatcher_.createTimer([this] { finish(pending_); })) {
    owner_.live_.insert(this);
  }
  ~FakeProber() override {
    if (done_) ++owner_.counters_[target_].cancelled;  // destroyed mid-probe: its target was removed
    owner_.live_.erase(this);
  }

  void start(ProbeCallback done) override {
    done_ = std::move(done);
    ++owner_.counters_[target_].started;
    const Behaviour& b = owner_.behaviour_[target_];
    if (b.hang) return;
    pending_ = b.result;
    timer_->arm(b.latency);  // even zero latency answers later, from the dispatcher, never from start()
  }
  void cancel() override {
    if (!done_) return;
    ++owner_.counters_[target_].cancelled;
    done_ = nullptr;
    timer_->cancel();
  }
  std::string_view stage() const override { return done_ ? "fake probe" : ""; }

  const Endpoint& target() const { return target_; }
  bool busy() const { return static_cast<bool>(done_); }
  void finish(ProbeResult result) {
    timer_->cancel();
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(result));
  }

 private:
  FakeProbers& owner_;
  Endpoint target_;
  std::unique_ptr<event::Timer> timer_;
  ProbeCallback done_;
  ProbeResult pending_;
};

FakeProbers::~FakeProbers() = default;

ProberFactory FakeProbers::factory() {
  return [this](const Endpoint& target) { return std::make_unique<FakeProber>(*this, target); };
}

void FakeProbers::setHealthy(const Endpoint& target, bool healthy, Duration latency) {
  setResult(target, ProbeResult{healthy, healthy ? "fake ok" : "fake failure", {}}, latency);
}

void FakeProbers::setResult(const Endpoint& target, ProbeResult result, Duration latency) {
  behaviour_[target] = Behaviour{false, std::move(result), latency};
}

void FakeProbers::setHanging(const Endpoint& target) { behaviour_[target] = Behaviour{true, {}, {}}; }

bool FakeProbers::complete(const Endpoint& target, ProbeResult result) {
  for (FakeProber* prober : live_) {
    if (prober->target() == target && prober->busy()) {
      prober->finish(std::move(result));
      return true;
    }
  }
  return false;
}

int FakeProbers::started(const Endpoint& target) const {
  auto it = counters_.find(target);
  return it == counters_.end() ? 0 : it->second.started;
}

int FakeProbers::cancelled(const Endpoint& target) const {
  auto it = counters_.find(target);
  return it == counters_.end() ? 0 : it->second.cancelled;
}

int FakeProbers::inFlight() const {
  return static_cast<int>(std::count_if(live_.begin(), live_.end(), [](FakeProber* p) { return p->busy(); }));
}

bool FakeProbers::probing(const Endpoint& target) const {
  return std::any_of(live_.begin(), live_.end(), [&](FakeProber* p) { return p->target() == target && p->busy(); });
}

}  // namespace lvscare::health
