#include "util/networks.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

namespace signet::host {
namespace {

namespace ip = boost::asio::ip;

// Parses "a.b.c.d[/n]" or "x::y[/n]"; throws on anything else.
std::string canonical(const std::string& entry) {
  const std::size_t slash = entry.find('/');
  const ip::address address = ip::make_address(entry.substr(0, slash));
  const std::string prefix = slash == std::string::npos ? "" : entry.substr(slash + 1);
  if (slash != std::string::npos && (prefix.empty() || prefix.size() > 3 || prefix.find_first_not_of("0123456789") != std::string::npos))
    throw std::invalid_argument("bad prefix length");
  if (address.is_v4()) {
    const auto net = ip::make_network_v4(address.to_v4(), prefix.empty() ? 32 : std::stoi(prefix));
    if (net.network() != address.to_v4()) throw std::invalid_argument("host bits set");
    return net.to_string();
  }
  const auto net = ip::make_network_v6(address.to_v6(), prefix.empty() ? 128 : std::stoi(prefix));
  if (net.network() != address.to_v6()) throw std::invalid_argument("host bits set");
  return net.to_string();
}

ip::address unmapped(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  return address;
}

bool contains(const std::string& network, const ip::address& address) {
  if (address.is_v4() && network.find(':') == std::string::npos) {
    const auto net = ip::make_network_v4(network);
    const ip::network_v4 host(address.to_v4(), 32);
    return host == net || host.is_subnet_of(net);  // is_subnet_of means a proper subnet
  }
  if (address.is_v6() && network.find(':') != std::string::npos) {
    const auto net = ip::make_network_v6(network);
    const ip::network_v6 host(address.to_v6(), 128);
    return host == net || host.is_subnet_of(net);
  }
  return false;
}

}  // namespace

Result<std::vector<std::string>> canonical_networks(const std::vector<std::string>& entries) {
  std::vector<std::string> out;
  for (const auto& entry : entries) {
    try {
      out.push_back(canonical(entry));
    } catch (const std::exception&) {
      return make_error(ErrorCode::invalid_argument,
                        "\"" + entry + "\" is not a network such as 10.0.0.0/8 or 2001:db8::/32 (with no host bits set)");
    }
  }
  return out;
}

bool address_in_networks(const std::string& address, const std::vector<std::string>& networks) {
  boost::system::error_code ec;
  const ip::address peer = ip::make_address(address, ec);
  if (ec) return false;
  const ip::address plain = unmapped(peer);
  for (const auto& network : networks)
    if (contains(network, plain)) return true;
  return false;
}

}  // namespace signet::host
