// How IpvsDatapath words kernel errors: the errno alone ("No such process") says nothing useful.
#include <cerrno>

#include <gtest/gtest.h>

#include "ipvs/ipvs_datapath.hpp"

namespace lvscare::ipvs {
namespace {

Error kernel(int err, std::string text) { return Error{errcFromErrno(err), err, std::move(text)}; }

VirtualServer service(std::string scheduler = "mh") {
  VirtualServer vs;
  vs.key = ServiceKey{Protocol::Tcp, Endpoint::parse("10.0.0.1:80").value()};
  vs.scheduler = std::move(scheduler);
  return vs;
}

TEST(IpvsDescribeOpErrorTest, PermissionNamesTheCapability) {
  const auto error = describeOpError(DatapathOp::addVirtualServer(service()), kernel(EPERM, "Operation not permitted"));
  EXPECT_EQ(error.code, Errc::Permission);
  EXPECT_EQ(error.message,
            "add virtual server TCP 10.0.0.1:80 scheduler mh: needs CAP_NET_ADMIN (Operation not permitted)");
}

TEST(IpvsDescribeOpErrorTest, MissingObjectsAreNamed) {
  const auto vs = service();
  RealServer rs;
  rs.endpoint = Endpoint::parse("10.0.0.2:80").value();
  auto error = describeOpError(DatapathOp::addRealServer(vs.key, rs), kernel(ESRCH, "No such process"));
  EXPECT_EQ(error.code, Errc::NotFound);
  EXPECT_NE(error.message.find(": no virtual server TCP 10.0.0.1:80 (No such process)"), std::string::npos)
      << error.message;
  error =
      describeOpError(DatapathOp::deleteRealServer(vs.key, rs.endpoint), kernel(ENOENT, "No such file or directory"));
  EXPECT_EQ(error.code, Errc::NotFound);
  EXPECT_NE(error.message.find("no real server 10.0.0.2:80 in TCP 10.0.0.1:80"), std::string::npos) << error.message;
  error = describeOpError(DatapathOp::addRealServer(vs.key, rs), kernel(EEXIST, "File exists"));
  EXPECT_EQ(error.code, Errc::Exists);
  EXPECT_NE(error.message.find("real server 10.0.0.2:80 exists already in TCP 10.0.0.1:80"), std::string::npos);
  error = describeOpError(DatapathOp::addVirtualServer(vs), kernel(EEXIST, "File exists"));
  EXPECT_NE(error.message.find("virtual server TCP 10.0.0.1:80 exists already"), std::string::npos);
}

TEST(IpvsDescribeOpErrorTest, EnoentOnAServiceMeansAnUnknownScheduler) {
  const auto error =
      describeOpError(DatapathOp::updateVirtualServer(service("lblcr")), kernel(ENOENT, "No such file or directory"));
  EXPECT_EQ(error.code, Errc::Unsupported);  // not NotFound: callers treat that as "already gone"
  EXPECT_NE(error.message.find("the kernel has no scheduler 'lblcr' (module ip_vs_lblcr)"), std::string::npos)
      << error.message;
}

TEST(IpvsDescribeOpErrorTest, OtherErrorsKeepTheKernelText) {
  const auto error =
      describeOpError(DatapathOp::deleteVirtualServer(service().key), kernel(EINVAL, "Invalid argument: bad attr"));
  EXPECT_EQ(error.code, Errc::InvalidArgument);
  EXPECT_EQ(error.message, "delete virtual server TCP 10.0.0.1:80: Invalid argument: bad attr");
}

}  // namespace
}  // namespace lvscare::ipvs
