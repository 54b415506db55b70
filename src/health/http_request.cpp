#include "health/http_request.hpp"

#include <algorithm>

#include "health/http_syntax.hpp"

namespace lvscare::health {
namespace {

using http::equalsIgnoreCase;
using http::isToken;

bool hasHeader(const ProbeConfig& config, std::string_view name) {
  return std::any_of(config.headers.begin(), config.headers.end(),
                     [&](const auto& header) { return equalsIgnoreCase(header.first, name); });
}

std::string normalizedPath(const std::string& path) { return !path.empty() && path.front() == '/' ? path : "/" + path; }

}  // namespace

FieldResult<HealthField> checkHttpRequest(const ProbeConfig& config) {
  // Each message quotes the value itself; a front end puts its own name for the field before it.
  const auto bad = [](HealthField field, std::string problem, std::size_t item = 0) {
    auto error = fieldError(field, std::string(), std::move(problem), std::nullopt, item);
    error.value().namesItself = true;
    return error;
  };
  if (!isToken(config.method))
    return bad(HealthField::Method, "health request method '" + config.method + "' is not an HTTP token");
  // A visible-ASCII request target: no space, no control byte that could end the request line.
  const bool pathOk = std::all_of(config.path.begin(), config.path.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
  if (!pathOk) return bad(HealthField::Path, "health path '" + config.path + "' has a space or control character");
  for (std::size_t i = 0; i < config.headers.size(); ++i) {
    const auto& [name, value] = config.headers[i];
    if (!isToken(name))
      return bad(HealthField::Headers, "health request header name '" + name + "' is not an HTTP token", i);
    if (!http::isText(value))
      return bad(HealthField::Headers, "health request header '" + name + "' has a control character in its value", i);
    // Framing is ours: a user's Content-Length or Connection would contradict what we send.
    if (equalsIgnoreCase(name, "content-length") || equalsIgnoreCase(name, "connection") ||
        equalsIgnoreCase(name, "transfer-encoding")) {
      return bad(HealthField::Headers, "health request header '" + name + "' is set by lvscare itself", i);
    }
  }
  return {};
}

std::string buildHttpRequest(const ProbeConfig& config, const Endpoint& target, Connection connection) {
  std::string request;
  request.reserve(128 + config.body.size());
  request += config.method;
  request += ' ';
  request += normalizedPath(config.path);
  request += " HTTP/1.1\r\n";
  if (!hasHeader(config, "host")) {
    const bool isIp = IpAddress::parse(config.serverName).has_value();
    std::string host = config.serverName.empty() ? target.address.toString() : config.serverName;
    const bool v6 = config.serverName.empty() ? target.address.isV6() : isIp && host.find(':') != std::string::npos;
    request += "Host: " + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(target.port) + "\r\n";
  }
  if (!hasHeader(config, "user-agent")) request += "User-Agent: lvscare\r\n";
  for (const auto& [name, value] : config.headers) request += name + ": " + value + "\r\n";
  const bool bodyMethod = config.method == "POST" || config.method == "PUT" || config.method == "PATCH";
  if (!config.body.empty() || bodyMethod) request += "Content-Length: " + std::to_string(config.body.size()) + "\r\n";
  // HTTP/1.1 keeps a connection open unless told otherwise.
  request += connection == Connection::Close ? "Connection: close\r\n\r\n" : "\r\n";
  request += config.body;
  return request;
}

bool isHealthyStatus(int status, const std::vector<int>& extraHealthyStatuses) {
  return status < 400 ||
         std::find(extraHealthyStatuses.begin(), extraHealthyStatuses.end(), status) != extraHealthyStatuses.end();
}

}  // namespace lvscare::health
