# nft_bench: NftDatapath against the nft binary applying the same ruleset (run bench/nft_vs_nft_cli.sh).
lvscare_add_benchmark(nft_bench SOURCES nft_bench.cpp DEPS lvscare_nftables)
