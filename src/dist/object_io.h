#pragma once
// Sending structured objects between ranks: each object is written with a Boost.Serialization
// binary archive into a byte string, moved with the communicator's byte collectives (sizes may
// differ per rank, also zero), and read back. T needs a serialize() member or free function
// (std::vector, std::string, std::map... via boost/serialization/<type>.hpp, included by the
// caller). Binary archives are fine between ranks of one job (same build, same platform).
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "dist/communicator.h"

namespace loce::dist {

template <class T>
std::string serialize_object(const T& value) {
  std::ostringstream os(std::ios::binary);
  {
    boost::archive::binary_oarchive ar(os, boost::archive::no_header);
    ar << value;
  }
  return os.str();
}

template <class T>
T deserialize_object(const std::string& bytes) {
  std::istringstream is(bytes, std::ios::binary);
  boost::archive::binary_iarchive ar(is, boost::archive::no_header);
  T value;
  ar >> value;
  return value;
}

// The root gets every rank's object in rank order; the other ranks get an empty vector.
template <class T>
std::vector<T> gather_objects(Communicator& comm, const T& mine, int root = 0) {
  std::vector<T> out;
  for (const auto& bytes : comm.gather_bytes(serialize_object(mine), root))
    out.push_back(deserialize_object<T>(bytes));
  return out;
}

// Every rank gets every rank's object in rank order.
template <class T>
std::vector<T> all_gather_objects(Communicator& comm, const T& mine) {
  std::vector<T> out;
  for (const auto& bytes : comm.all_gather_bytes(serialize_object(mine)))
    out.push_back(deserialize_object<T>(bytes));
  return out;
}

// The root's `value` replaces every other rank's.
template <class T>
void broadcast_object(Communicator& comm, T& value, int root = 0) {
  std::string bytes = comm.rank() == root ? serialize_object(value) : std::string();
  comm.broadcast_bytes(bytes, root);
  if (comm.rank() != root) value = deserialize_object<T>(bytes);
}

}  // namespace loce::dist
