# Included by tests/fuzz/CMakeLists.txt: the IPVS reply decoders under libFuzzer.
lvscare_add_fuzzer(ipvs_codec_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/ipvs_codec_fuzz.cpp DEPS lvscare_ipvs)
