// Early return of a failed Result inside the nftables layer: NFT_TRY(name, expression) declares
// `name` as the Result and returns its error when it holds one.
#pragma once

#define NFT_TRY(var, expr)   \
  auto var = (expr);         \
  if (!var) return tl::unexpected(var.error())
