# stackd-relay: the seeded L2 impairment relay the network tests put between
# two namespaces (this kernel has no sch_netem). Included from
# tests/CMakeLists.txt with `include(relay/relay.cmake)`; paths are relative
# to this file so it works from any includer.
set(_relay_dir ${CMAKE_CURRENT_LIST_DIR})

add_library(stackd_relay_core STATIC ${_relay_dir}/impairment.cc)
target_include_directories(stackd_relay_core PUBLIC ${_relay_dir})
stackd_warnings(stackd_relay_core)

add_executable(stackd-relay ${_relay_dir}/relay.cc ${_relay_dir}/packet_port.cc ${_relay_dir}/relay_engine.cc)
target_link_libraries(stackd-relay PRIVATE stackd_relay_core CLI11::CLI11)
stackd_warnings(stackd-relay)
# Where the network tests look for it: $STACKD_BUILD_DIR/tests/relay/stackd-relay.
set_target_properties(stackd-relay PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/relay)

find_package(GTest REQUIRED)
include(GoogleTest)
add_executable(test_relay_impairment ${_relay_dir}/impairment_test.cc)
target_link_libraries(test_relay_impairment PRIVATE stackd_relay_core GTest::gtest GTest::gtest_main)
stackd_warnings(test_relay_impairment)
set_target_properties(test_relay_impairment PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/relay)
gtest_discover_tests(test_relay_impairment DISCOVERY_MODE PRE_TEST PROPERTIES LABELS "unit")

# Paced frame source / counting sink: measures the relay's frame rate.
add_executable(stackd-frame-blast ${_relay_dir}/frame_blast.cc ${_relay_dir}/packet_port.cc)
target_link_libraries(stackd-frame-blast PRIVATE CLI11::CLI11)
stackd_warnings(stackd-frame-blast)
set_target_properties(stackd-frame-blast PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/relay)
