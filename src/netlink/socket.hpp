// A netlink socket that speaks request/ACK, dumps, pipelines and nfnetlink batches, matching
// replies to requests by sequence number. CLOEXEC|NONBLOCK; every wait is bounded by a timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "lvscare/unique_fd.hpp"
#include "netlink/message.hpp"
#include "netlink/reply.hpp"

namespace lvscare::netlink {

// A dump's messages, with the buffers they point into.
struct Dump {
  std::vector<std::vector<std::uint8_t>> buffers;
  std::vector<MessageView> messages;
};

class Socket {
 public:
  using ReplyHandler = std::function<Result<void>(const MessageView&)>;

  // protocol: NETLINK_GENERIC, NETLINK_NETFILTER, NETLINK_ROUTE. Asks for extended ACKs and capped
  // echoes (the kernel then returns only our header with an error, not our whole request).
  static Result<Socket> open(int protocol);

  int fd() const { return fd_.get(); }
  // How long one wait for the kernel may take before Errc::Timeout (default 5 s).
  void setTimeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  // Requests in flight before their ACKs are read (pipeline). Bounded so ACKs fit the receive buffer.
  void setPipelineWindow(std::size_t messages) { window_ = messages == 0 ? 1 : messages; }

  // One request with NLM_F_ACK: `onReply` sees every reply before the ACK (e.g. a GET's answer).
  Result<void> request(Message message, const ReplyHandler& onReply = {});

  // A dump request (NLM_F_DUMP): every message up to NLMSG_DONE. Restarts, a few times at most,
  // if the kernel says the dump was interrupted by a concurrent change.
  Result<Dump> dump(const Message& message);

  // Sends every message with NLM_F_ACK, many per send call and many before any ACK is read; returns
  // one result per message, in order. A failing message does not stop the ones after it.
  std::vector<Result<void>> pipeline(std::span<Message> messages);

  // One nfnetlink transaction: BATCH_BEGIN, `messages`, BATCH_END in a single send, applied by the
  // kernel all or nothing. One result per message: if any failed, all report that failure.
  std::vector<Result<void>> batch(std::span<Message> messages, std::uint16_t subsystem);

 private:
  explicit Socket(UniqueFd fd);
  std::uint32_t nextSequence() { return ++sequence_; }
  Result<void> sendAll(std::span<const std::uint8_t> bytes);
  Result<void> sendMessages(std::span<Message> messages);
  // Reads one datagram (waiting at most timeout_) and hands each message to `onMessage`.
  Result<void> receiveOnce(const std::function<Result<void>(const MessageView&)>& onMessage);
  Result<void> growBuffers(std::size_t sendBytes, std::size_t receiveBytes);

  UniqueFd fd_;
  std::uint32_t sequence_ = 0;
  std::chrono::milliseconds timeout_{5000};
  std::size_t window_ = 128;
  std::vector<std::uint8_t> receiveBuffer_;
};

}  // namespace lvscare::netlink
