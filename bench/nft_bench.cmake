# nft_bench: NftDatapath against the nft binary applying the same ruleset (run bench/nft_vs_nft_cli.sh).
lvscare_add_benchmark(nft_bench SOURCES nft_bench.cpp DEPS lvscare_nftables)
# conntrack_filter_bench: passive detection's cost per foreign conntrack event, parse vs pre-filter.
lvscare_add_benchmark(conntrack_filter_bench SOURCES conntrack_filter_bench.cpp DEPS lvscare_nftables)
