// What of Child is the same on Linux and Windows: its lifetime (a Child
// never reaped is killed, with its group, and reaped when it goes) and the
// description of an exit.
#include <mutex>

#include "pkg/process/child_state.h"
#include "pkg/process/spawn.h"

namespace berth::process {

std::string ExitStatus::Describe() const {
  if (term_signal != 0) return "killed by signal " + std::to_string(term_signal);
  return "exit status " + std::to_string(exit_code);
}

Child::Child() = default;
Child::Child(std::unique_ptr<State> state) : state_(std::move(state)) {}
Child::Child(Child&& other) noexcept = default;

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    KillAndReap();
    state_ = std::move(other.state_);
  }
  return *this;
}

Child::~Child() {
  KillAndReap();
}

void Child::KillAndReap() {
  if (!state_) return;
  bool reaped;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    reaped = state_->reaped;
  }
  if (!reaped) {
    if (state_->group) (void)SignalGroup(internal::kKillSignal);
    (void)Signal(internal::kKillSignal);
    (void)Wait();
  }
  // On Windows, closing a group's job (KILL_ON_JOB_CLOSE) also ends whatever
  // the child left running.
  state_.reset();
}

pid_t Child::pid() const {
  return state_ ? state_->pid : -1;
}

bool Child::leads_process_group() const {
  return state_ && state_->group;
}

}  // namespace berth::process
