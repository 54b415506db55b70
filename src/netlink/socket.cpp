#include "netlink/socket.hpp"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>

namespace lvscare::netlink {
namespace {

constexpr std::size_t kReceiveBufferSize = 64 * 1024;
constexpr int kDumpAttempts = 3;
// One send call carries at most this many bytes of pipelined requests.
constexpr std::size_t kMaxSendChunk = 64 * 1024;
// Datagrams a query reads per receive call: an IPVS read is its GET's reply, its dump's part and
// the dump's NLMSG_DONE (queued while the part is read), so one call takes them all.
constexpr std::size_t kQuerySlots = 4;

void setFlag(Message& message, std::uint16_t flag) {
  const std::uint16_t flags = message.flags() | flag;
  std::memcpy(message.bytes.data() + offsetof(nlmsghdr, nlmsg_flags), &flags, sizeof flags);
}

// Both the forced (root, CAP_NET_ADMIN) and the plain variant: the plain one is capped by
// net.core.[rw]mem_max but needs no privilege.
void setBuffer(int fd, int forcedOption, int plainOption, std::size_t bytes) {
  const int value = static_cast<int>(std::min<std::size_t>(bytes, 1u << 30));
  if (setsockopt(fd, SOL_SOCKET, forcedOption, &value, sizeof value) != 0) {
    setsockopt(fd, SOL_SOCKET, plainOption, &value, sizeof value);
  }
}

}  // namespace

Result<Socket> Socket::open(int protocol) {
  UniqueFd owned(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol));
  if (!owned) return failErrno(errno, "open netlink socket (protocol " + std::to_string(protocol) + ")");
  const int fd = owned.get();
  Socket socket(std::move(owned));
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
    return failErrno(errno, "bind netlink socket");
  const int on = 1;
  // Both are best effort: older kernels lack them and we then get plain errors, still correct.
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  setBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, 4u << 20);
  // Sequence numbers start somewhere unpredictable so a stale reply from an earlier process that
  // reused our port id can never match.
  socket.sequence_ = static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return socket;
}

Socket::Socket(UniqueFd fd) : fd_(std::move(fd)), receiveBuffer_(kReceiveBufferSize) {}

Result<void> Socket::growBuffers(std::size_t sendBytes, std::size_t receiveBytes) {
  setBuffer(fd_.get(), SO_SNDBUFFORCE, SO_SNDBUF, sendBytes);
  setBuffer(fd_.get(), SO_RCVBUFFORCE, SO_RCVBUF, receiveBytes);
  return {};
}

Result<void> Socket::sendAll(std::span<const std::uint8_t> bytes) {
  const iovec part{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
  return sendParts(std::span<const iovec>(&part, 1));
}

Result<void> Socket::sendParts(std::span<const iovec> parts) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  msghdr header{};
  header.msg_name = &kernel;
  header.msg_namelen = sizeof kernel;
  header.msg_iov = const_cast<iovec*>(parts.data());
  header.msg_iovlen = parts.size();
  std::size_t total = 0;
  for (const iovec& part : parts) total += part.iov_len;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const ssize_t sent = ::sendmsg(fd_.get(), &header, 0);
    if (sent == static_cast<ssize_t>(total)) return {};
    if (sent >= 0)
      return fail(Errc::Io, "short netlink send: " + std::to_string(sent) + " of " + std::to_string(total));
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return failErrno(errno, "send netlink request");
    pollfd waiter{fd_.get(), POLLOUT, 0};
    if (::poll(&waiter, 1, static_cast<int>(timeout_.count())) == 0)
      return fail(Errc::Timeout, "netlink send timed out");
  }
  return fail(Errc::Io, "netlink send kept being interrupted");
}

Result<void> Socket::sendMessages(std::span<Message> messages) {
  std::vector<std::uint8_t> joined;
  for (const auto& message : messages) joined.insert(joined.end(), message.bytes.begin(), message.bytes.end());
  if (joined.size() > 200 * 1024) growBuffers(joined.size() + 4096, 0);
  return sendAll(joined);
}

Result<void> Socket::receiveOnce(const std::function<Result<void>(const MessageView&)>& onMessage, std::size_t slots) {
  slots = std::clamp<std::size_t>(slots, 1, kMaxQueries);
  // One buffer of kReceiveBufferSize per datagram; the slots after the first are made on first use.
  if (receiveBuffer_.size() < slots * kReceiveBufferSize) receiveBuffer_.resize(slots * kReceiveBufferSize);
  std::array<iovec, kMaxQueries> vectors{};
  std::array<sockaddr_nl, kMaxQueries> senders{};
  std::array<mmsghdr, kMaxQueries> headers{};
  int received = -1;
  // The clock is read only once there is something to wait for: an answer is mostly there already.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    for (std::size_t i = 0; i < slots; ++i) {
      vectors[i] = iovec{receiveBuffer_.data() + i * kReceiveBufferSize, kReceiveBufferSize};
      senders[i] = sockaddr_nl{};
      headers[i] = mmsghdr{};
      headers[i].msg_hdr.msg_name = &senders[i];
      headers[i].msg_hdr.msg_namelen = sizeof senders[i];
      headers[i].msg_hdr.msg_iov = &vectors[i];
      headers[i].msg_hdr.msg_iovlen = 1;
    }
    // What is queued, up to `slots` datagrams, in one call (the socket does not block).
    received = ::recvmmsg(fd_.get(), headers.data(), static_cast<unsigned>(slots), 0, nullptr);
    if (received > 0) break;
    if (received == 0 || errno == EINTR) continue;
    if (errno == ENOBUFS) return fail(Errc::Io, "netlink receive buffer overran: replies were lost", ENOBUFS);
    if (errno != EAGAIN) return failErrno(errno, "receive netlink reply");
    const auto now = std::chrono::steady_clock::now();
    if (!deadline) deadline = now + timeout_;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - now);
    if (left.count() <= 0)
      return fail(Errc::Timeout, "no netlink reply within " + std::to_string(timeout_.count()) + " ms");
    pollfd waiter{fd_.get(), POLLIN, 0};
    ::poll(&waiter, 1, static_cast<int>(left.count()) + 1);
  }
  if (received <= 0) return fail(Errc::Io, "netlink receive kept being interrupted");
  for (std::size_t i = 0; i < static_cast<std::size_t>(received); ++i) {
    if (headers[i].msg_hdr.msg_flags & MSG_TRUNC)
      return fail(Errc::Malformed, "netlink reply larger than the receive buffer");
    if (senders[i].nl_pid != 0) continue;  // only the kernel talks to us
    auto messages = splitMessages(Bytes(receiveBuffer_.data() + i * kReceiveBufferSize, headers[i].msg_len));
    if (!messages) return passOn(messages);
    for (const auto& message : *messages) {
      auto handled = onMessage(message);
      if (!handled) return handled;
    }
  }
  return {};
}

Result<void> Socket::request(Message message, const ReplyHandler& onReply) {
  const std::uint32_t seq = nextSequence();
  message.setSequence(seq);
  setFlag(message, NLM_F_REQUEST | NLM_F_ACK);
  if (auto sent = sendAll(message.bytes); !sent) return sent;
  bool done = false;
  Result<void> outcome;
  for (int reads = 0; !done && reads < 100000; ++reads) {
    auto received = receiveOnce([&](const MessageView& reply) -> Result<void> {
      if (reply.sequence != seq || done) return {};  // stale or unrelated: skip
      if (reply.type == NLMSG_ERROR) {
        auto ack = parseAck(reply);
        if (!ack) return passOn(ack);
        done = true;
        if (ack->error != 0) outcome = fail(errorFromAck(*ack));
        return {};
      }
      if (reply.type == NLMSG_DONE || !onReply) return {};
      auto handled = onReply(reply);
      if (!handled) outcome = handled;  // keep reading up to the ACK so nothing stale is left behind
      return {};
    });
    if (!received) return received;
  }
  if (!done) return fail(Errc::Timeout, "no netlink ACK");
  return outcome;
}

Result<Dump> Socket::dump(const Message& request) {
  for (int attempt = 0; attempt < kDumpAttempts; ++attempt) {
    Message message = request;
    const std::uint32_t seq = nextSequence();
    message.setSequence(seq);
    setFlag(message, NLM_F_REQUEST | NLM_F_DUMP);
    if (auto sent = sendAll(message.bytes); !sent) return passOn(sent);
    Dump dump;
    bool done = false;
    bool interrupted = false;
    std::optional<Error> failure;
    for (int reads = 0; !done && reads < 1000000; ++reads) {
      auto received = receiveOnce([&](const MessageView& reply) -> Result<void> {
        if (reply.sequence != seq || done) return {};
        if (reply.flags & NLM_F_DUMP_INTR) interrupted = true;
        if (reply.type == NLMSG_DONE || reply.type == NLMSG_ERROR) {
          done = true;
          auto ack = parseAck(reply);
          if (!ack) return passOn(ack);
          if (ack->error != 0) failure = errorFromAck(*ack);
          return {};
        }
        dump.messages.push_back(reply);  // points into receiveBuffer_: rebased below
        return {};
      });
      if (!received) return passOn(received);
      // Copy this datagram's messages out of the shared receive buffer.
      for (auto& view : dump.messages) {
        const auto* base = receiveBuffer_.data();
        if (view.payload.data() >= base && view.payload.data() < base + receiveBuffer_.size()) {
          dump.buffers.emplace_back(view.payload.begin(), view.payload.end());
          view.payload = Bytes(dump.buffers.back().data(), dump.buffers.back().size());
        }
      }
    }
    if (!done) return fail(Errc::Timeout, "netlink dump did not finish");
    if (failure) return fail(*failure);
    if (!interrupted) return dump;
  }
  return fail(Errc::Kernel, "netlink dump kept being interrupted by concurrent changes");
}

Result<QueryAnswers> Socket::query(std::span<Query> queries, const QueryHandler& onReply) {
  if (queries.empty() || queries.size() > kMaxQueries)
    return fail(Errc::InvalidArgument, "a netlink query takes 1 to " + std::to_string(kMaxQueries) + " requests");
  std::array<iovec, kMaxQueries> parts{};
  const std::uint32_t first = sequence_ + 1;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    Message& message = queries[i].message;
    message.setSequence(nextSequence());
    const auto flags =
        static_cast<std::uint16_t>((message.flags() & ~NLM_F_ACK) | NLM_F_REQUEST | (queries[i].dump ? NLM_F_DUMP : 0));
    std::memcpy(message.bytes.data() + offsetof(nlmsghdr, nlmsg_flags), &flags, sizeof flags);
    parts[i] = iovec{message.bytes.data(), message.bytes.size()};
  }
  if (auto sent = sendParts(std::span<const iovec>(parts.data(), queries.size())); !sent) return passOn(sent);
  QueryAnswers answers;
  answers.results.resize(queries.size());
  std::uint32_t open = (1u << queries.size()) - 1;  // bit i: query i not answered yet
  std::optional<Error> refused;
  for (int reads = 0; open != 0 && reads < 1000000; ++reads) {
    auto received = receiveOnce(
        [&](const MessageView& reply) -> Result<void> {
          const std::uint32_t index = reply.sequence - first;
          if (index >= queries.size() || (open & (1u << index)) == 0) return {};  // stale or unrelated
          if (reply.flags & NLM_F_DUMP_INTR) answers.interrupted = true;
          if (reply.type == NLMSG_ERROR || reply.type == NLMSG_DONE) {
            open &= ~(1u << index);
            auto ack = parseAck(reply);
            if (!ack) return passOn(ack);
            if (ack->error != 0) answers.results[index] = fail(errorFromAck(*ack));
            return {};
          }
          // A GET's answer is one message unless the kernel says more follow (NLM_F_MULTI, up to DONE).
          if (!queries[index].dump && (reply.flags & NLM_F_MULTI) == 0) open &= ~(1u << index);
          if (auto handled = onReply(index, reply); !handled && !refused) refused = handled.error();
          return {};
        },
        kQuerySlots);
    if (!received) return passOn(received);
  }
  if (open != 0) return fail(Errc::Timeout, "netlink query not answered");
  if (refused) return fail(*refused);
  return answers;
}

std::vector<Result<void>> Socket::pipeline(std::span<Message> messages) {
  std::vector<Result<void>> results(messages.size(), fail(Errc::Timeout, "no netlink ACK"));
  growBuffers(kMaxSendChunk + 4096, 4u << 20);
  std::size_t next = 0;
  while (next < messages.size()) {
    // A window of requests, sent in as few send calls as fit, then all their ACKs.
    std::map<std::uint32_t, std::size_t> pending;  // sequence -> index
    const std::size_t end = std::min(messages.size(), next + window_);
    std::size_t chunkStart = next;
    std::size_t chunkBytes = 0;
    for (std::size_t i = next; i < end; ++i) {
      messages[i].setSequence(nextSequence());
      setFlag(messages[i], NLM_F_REQUEST | NLM_F_ACK);
      pending[messages[i].sequence()] = i;
      chunkBytes += messages[i].bytes.size();
      const bool last = i + 1 == end;
      if (last || chunkBytes + messages[i + 1].bytes.size() > kMaxSendChunk) {
        auto sent = sendMessages(messages.subspan(chunkStart, i + 1 - chunkStart));
        if (!sent) {
          for (std::size_t j = chunkStart; j < messages.size(); ++j) results[j] = sent;
          return results;
        }
        chunkStart = i + 1;
        chunkBytes = 0;
      }
    }
    for (int reads = 0; !pending.empty() && reads < 100000; ++reads) {
      auto received = receiveOnce([&](const MessageView& reply) -> Result<void> {
        const auto found = pending.find(reply.sequence);
        if (found == pending.end() || reply.type != NLMSG_ERROR) return {};
        auto ack = parseAck(reply);
        if (!ack) {
          results[found->second] = passOn(ack);
        } else if (ack->error != 0) {
          results[found->second] = fail(errorFromAck(*ack));
        } else {
          results[found->second] = {};
        }
        pending.erase(found);
        return {};
      });
      if (!received) {
        for (const auto& [seq, index] : pending) results[index] = received;
        for (std::size_t j = end; j < messages.size(); ++j) results[j] = received;
        return results;
      }
    }
    next = end;
  }
  return results;
}

std::vector<Result<void>> Socket::batch(std::span<Message> messages, std::uint16_t subsystem) {
  if (messages.empty()) return {};
  std::vector<Message> framed;
  framed.reserve(messages.size() + 2);
  framed.push_back(MessageBuilder(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST).nfgenHeader(0, subsystem).finish());
  for (auto& message : messages) framed.push_back(message);
  framed.push_back(MessageBuilder(NFNL_MSG_BATCH_END, NLM_F_REQUEST).nfgenHeader(0, subsystem).finish());
  const std::uint32_t first = nextSequence();
  for (std::size_t i = 0; i < framed.size(); ++i) {
    framed[i].setSequence(first + static_cast<std::uint32_t>(i));
    setFlag(framed[i], NLM_F_REQUEST);
  }
  sequence_ = first + static_cast<std::uint32_t>(framed.size() - 1);
  // Only the last message asks for an ACK: errors come back whether asked for or not, in order, so
  // the last ACK says the whole batch has been answered without one reply per message.
  Message& lastInner = framed[framed.size() - 2];
  setFlag(lastInner, NLM_F_ACK);
  const std::uint32_t lastSeq = lastInner.sequence();

  std::size_t total = 0;
  for (const auto& message : framed) total += message.bytes.size();
  growBuffers(total + 4096, 4u << 20);
  std::vector<std::uint8_t> joined;
  joined.reserve(total);
  for (const auto& message : framed) joined.insert(joined.end(), message.bytes.begin(), message.bytes.end());

  auto failAll = [&](const Error& error) { return std::vector<Result<void>>(messages.size(), fail(error)); };
  if (auto sent = sendAll(joined); !sent) return failAll(sent.error());

  std::optional<Error> firstFailure;
  bool answered = false;
  const std::uint32_t lastFramed = first + static_cast<std::uint32_t>(framed.size() - 1);
  for (int reads = 0; !answered && reads < 100000; ++reads) {
    auto received = receiveOnce([&](const MessageView& reply) -> Result<void> {
      if (reply.sequence < first || reply.sequence > lastFramed || reply.type != NLMSG_ERROR) return {};
      auto ack = parseAck(reply);
      if (!ack) return passOn(ack);
      if (ack->error != 0 && !firstFailure) {
        Error error = errorFromAck(*ack);
        const std::uint32_t index = reply.sequence - first;
        if (index >= 1 && index <= messages.size()) {
          error.message =
              "message " + std::to_string(index) + " of " + std::to_string(messages.size()) + ": " + error.message;
        }
        firstFailure = std::move(error);
      }
      // The ACK of the last message, or an error on BEGIN (the subsystem refused the whole batch).
      if (reply.sequence == lastSeq || (reply.sequence == first && ack->error != 0)) answered = true;
      return {};
    });
    if (!received) return failAll(received.error());
  }
  if (!answered) return failAll(Error{Errc::Timeout, 0, "no answer to the nfnetlink batch"});
  if (firstFailure) return failAll(withContext(*firstFailure, "transaction aborted"));
  return std::vector<Result<void>>(messages.size());
}

}  // namespace lvscare::netlink
