// A netlink socket that speaks request/ACK, dumps, queries (several reads in one datagram), pipelines
// and nfnetlink batches, matching replies to requests by sequence number. CLOEXEC|NONBLOCK; every
// wait is bounded by a timeout.
#pragma once

#include <sys/uio.h>

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

struct QueryAnswers {
  std::vector<Result<void>> results;  // one per query: the kernel's error for it, if it sent one
  bool interrupted = false;           // a dump saw a concurrent change (NLM_F_DUMP_INTR): read again
};

class Socket {
 public:
  using ReplyHandler = std::function<Result<void>(const MessageView&)>;
  // (index of the query, one of its replies); the reply's bytes are valid during the call only.
  using QueryHandler = std::function<Result<void>(std::size_t, const MessageView&)>;

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

  // Several reads in one datagram and one stretch of receiving, for reads repeated often (the care
  // loop's poll of IPVS): no ACKs, no copy of the replies. At most one dump (the kernel runs one
  // per socket at a time) and at most kMaxQueries queries. The messages' flags and sequence
  // numbers are stamped here, so the caller may keep the queries and send them again. Fails on a
  // transport error or a reply the handler refuses (after reading every answer, so that nothing
  // stale is left for the next request).
  static constexpr std::size_t kMaxQueries = 8;
  Result<QueryAnswers> query(std::span<Query> queries, const QueryHandler& onReply);

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
  // One datagram made of `parts` (sendmsg), waiting for room at most timeout_.
  Result<void> sendParts(std::span<const iovec> parts);
  Result<void> sendMessages(std::span<Message> messages);
  // Reads what is queued, up to `slots` datagrams (at most kMaxQueries) in one call, waiting at most
  // timeout_ for the first, and hands each message to `onMessage`.
  Result<void> receiveOnce(const std::function<Result<void>(const MessageView&)>& onMessage, std::size_t slots = 1);
  Result<void> growBuffers(std::size_t sendBytes, std::size_t receiveBytes);

  UniqueFd fd_;
  std::uint32_t sequence_ = 0;
  std::chrono::milliseconds timeout_{5000};
  std::size_t window_ = 128;
  std::vector<std::uint8_t> receiveBuffer_;  // one slot of kReceiveBufferSize per datagram read at once
};

}  // namespace lvscare::netlink
