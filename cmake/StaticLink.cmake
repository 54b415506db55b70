# LVSCARE_STATIC: lvscare and sealctl linked with -static (src/cli, src/staticpod).
# FindOpenSSL picks the shared libssl.so unless told otherwise, and a static link of a shared
# object fails; so a static build asks for libssl.a/libcrypto.a itself. FindOpenSSL caches what it
# found: when a build directory switches between static and shared, the cached paths are dropped
# so the search runs again.
if(LVSCARE_STATIC)
  set(OPENSSL_USE_STATIC_LIBS TRUE)
  set(lvscare_openssl_wanted "\\.a$")
else()
  set(lvscare_openssl_wanted "\\.so")
endif()
foreach(lib OPENSSL_SSL_LIBRARY OPENSSL_CRYPTO_LIBRARY)
  if(DEFINED CACHE{${lib}} AND NOT "${${lib}}" MATCHES "${lvscare_openssl_wanted}")
    unset(${lib} CACHE)
  endif()
endforeach()
unset(lvscare_openssl_wanted)
