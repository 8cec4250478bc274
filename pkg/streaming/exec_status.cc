#include "pkg/streaming/exec_status.h"

#include <nlohmann/json.hpp>

namespace berth::streaming {

std::string ErrorChannelMessage(int protocol_version, const ExecOutcome& outcome) {
  const bool nonzero_exit = outcome.exit_code.has_value() && *outcome.exit_code != 0;
  std::string message;
  if (!outcome.status.ok()) {
    message = outcome.status.message();
  } else if (nonzero_exit) {
    message = "command terminated with non-zero exit code: exit status " +
              std::to_string(*outcome.exit_code);
  }
  if (protocol_version < 4) return message;

  nlohmann::ordered_json status = {{"metadata", nlohmann::json::object()}};
  if (message.empty()) {
    status["status"] = "Success";
  } else if (outcome.status.ok()) {
    status["status"] = "Failure";
    status["message"] = message;
    status["reason"] = "NonZeroExitCode";
    status["details"] = {
        {"causes", {{{"reason", "ExitCode"}, {"message", std::to_string(*outcome.exit_code)}}}}};
  } else {
    status["status"] = "Failure";
    status["message"] = message;
    status["reason"] = "InternalError";
    status["details"] = {{"causes", {{{"message", message}}}}};
    status["code"] = 500;
  }
  return status.dump();
}

}  // namespace berth::streaming
