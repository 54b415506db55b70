# The nftables reply decoders under libFuzzer (included by tests/fuzz/CMakeLists.txt).
lvscare_add_fuzzer(nft_codec_fuzz SOURCES nft_codec_fuzz.cpp DEPS lvscare_nftables)
