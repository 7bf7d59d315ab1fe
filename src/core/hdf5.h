#pragma once
// A small RAII layer over the HDF5 C API, shared by every module that reads or writes HDF5
// (dataset cache, run curves, LoCE files, analysis results). Errors become loce::Error with the
// file and object path in the message; HDF5's own error stack printing is switched off.
//
// Paths may be nested ("/loce/vectors"): missing parent groups are created on write.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace loce::h5 {

// Owns one hid_t and closes it with the matching H5?close.
class Handle {
 public:
  enum class Kind { File, Group, Dataset, Dataspace, Datatype, Attribute, Plist };
  Handle() = default;
  Handle(hid_t id, Kind kind) : id_(id), kind_(kind) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), kind_(o.kind_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t id() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  void reset() { (void)close(); }  // for destructors and error paths: the status is dropped
  // Closes now and returns HDF5's status: closing a file or dataset written to is when HDF5
  // writes its last chunks and metadata, so a full disk shows only here.
  herr_t close();

 private:
  hid_t id_ = -1;
  Kind kind_ = Kind::File;
};

class File {
 public:
  static File create(const std::string& path);  // truncates
  static File open(const std::string& path, bool writable = false);
  hid_t id() const { return h_.id(); }
  const std::string& path() const { return path_; }
  // Writes everything still buffered and closes the file; throws when that fails (disk full,
  // quota), so that a writer never commits a truncated file. The destructor closes unchecked.
  void close();

 private:
  Handle h_;
  std::string path_;
};

bool exists(const File& f, const std::string& path);  // any link (group or dataset)

// ---- whole tensors (u8, i32, i64, f32, f64; contiguous CPU copies are made as needed)
void write_tensor(File& f, const std::string& path, const at::Tensor& t, bool compress = false);
at::Tensor read_tensor(const File& f, const std::string& path);
std::vector<int64_t> shape(const File& f, const std::string& path);
// An element type as numpy and h5py name it ("int8"), not LibTorch's C++ name ("Char"): for
// messages about files that users write with h5py.
std::string numpy_name(at::ScalarType t);
// The tensor type a dataset reads as (an InputError for types read_tensor does not take).
at::ScalarType stored_type(const File& f, const std::string& path);

// ---- a dataset written slab by slab along dimension 0 (e.g. one image at a time)
class Writer {
 public:
  // dims[0] rows; each chunk is `chunk_rows` rows; gzip level 0 disables compression.
  Writer(File& f, const std::string& path, at::ScalarType dtype, std::vector<int64_t> dims,
         int64_t chunk_rows = 1, int gzip_level = 4);
  void write_rows(int64_t first_row, const at::Tensor& rows);
  // Closes the dataset, writing its last chunks; throws when that fails. Call it before the
  // file's close (the destructor closes unchecked).
  void finish();

 private:
  Handle ds_;
  std::string where_;
  at::ScalarType dtype_;
  std::vector<hsize_t> dims_;
};

// Read rows [first, first + count) of a dataset along dimension 0.
at::Tensor read_rows(const File& f, const std::string& path, int64_t first, int64_t count);

// ---- strings (variable-length UTF-8)
void write_strings(File& f, const std::string& path, const std::vector<std::string>& values);
std::vector<std::string> read_strings(const File& f, const std::string& path);

// ---- attributes on a group or dataset at `path` ("/" for the file)
void set_attr(File& f, const std::string& path, const std::string& name, const std::string& v);
void set_attr(File& f, const std::string& path, const std::string& name, int64_t v);
void set_attr(File& f, const std::string& path, const std::string& name, double v);
void set_attr(File& f, const std::string& path, const std::string& name,
              const std::vector<std::string>& v);
bool has_attr(const File& f, const std::string& path, const std::string& name);
std::string attr_string(const File& f, const std::string& path, const std::string& name);
int64_t attr_int(const File& f, const std::string& path, const std::string& name);
double attr_double(const File& f, const std::string& path, const std::string& name);
std::vector<std::string> attr_strings(const File& f, const std::string& path,
                                      const std::string& name);

}  // namespace loce::h5
