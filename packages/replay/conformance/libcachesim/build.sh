#!/bin/sh
# Builds lcs-count against a libCacheSim tree already built with cmake (Release, -O3):
#   build.sh LIBCACHESIM_SOURCE_DIR LIBCACHESIM_BUILD_DIR OUTPUT
# (links the same static libraries as libCacheSim's own cachesim binary).
set -e
src=$1 build=$2 out=$3
here=$(dirname "$0")
L=$build/libCacheSim
cc -O3 -DNDEBUG -DOS_LINUX -I"$src/libCacheSim/include" -I"$build/libCacheSim/include" -I"$src/libCacheSim" \
  $(pkg-config --cflags glib-2.0) -o "$out" "$here/lcs-count.c" \
  $L/cache/libcachelib.a $L/cache/eviction/libevictionC.a $L/cache/eviction/libevictionCPP.a \
  $L/traceReader/libtraceReader.a $L/profiler/libprofiler.a $L/dataStructure/libdataStructure.a \
  $L/dataStructure/hash/libds_hash.a $L/utils/libutils.a $L/cache/admission/libadmissionC.a \
  $L/cache/admission/libadmissionCpp.a $L/cache/prefetch/libprefetchC.a $L/cache/libcachelib.a \
  $L/dataStructure/libdataStructure.a $L/traceReader/libtraceReader.a $L/utils/libutils.a \
  $(pkg-config --libs glib-2.0) -lzstd -lstdc++ -lm -lpthread -ldl
