#include "core/hdf5.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "core/error.h"

namespace loce::h5 {
namespace {

// Training reads the cache on a background thread (data/batch_prefetcher.h) while the main
// thread writes curves and checkpoints. HDF5 takes calls from several threads only when built
// with its thread-safety option (Debian's and Ubuntu's packages are; many cluster builds are
// not), so every entry point of this file holds one process-wide lock. Recursive, as entry
// points call one another (and Handle::reset on the way out).
// The lock also silences HDF5's own stack dumps (we report errors ourselves, in one line):
// once per thread, as a thread-safe HDF5 keeps that setting per thread.
struct Quiet {
  Quiet() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};

// And before HDF5's first call: no clean-up of HDF5 at exit. Every file we open is closed by
// its owner before then; the only ones left are those whose close failed (a full disk), and
// closing those again from exit() crashes inside HDF5 1.10 (a segfault after our error line).
struct NoCleanupAtExit {
  NoCleanupAtExit() { H5dont_atexit(); }
};

std::unique_lock<std::recursive_mutex> serialized() {
  static std::recursive_mutex m;
  static NoCleanupAtExit no_cleanup;
  std::unique_lock<std::recursive_mutex> lock(m);
  thread_local Quiet quiet;
  return lock;
}

// The innermost message on this thread's HDF5 error stack ("file signature not found",
// "unable to lock the file", ...): what failed, under the layers that only pass it on.
std::string innermost_error() {
  std::string message;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
        return 0;
      },
      &message);
  // Some reasons span lines ("truncated file: eof = ..., time = ...\n, filename = ..."): our
  // errors are one line.
  std::string line;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ' && (line.empty() || line.back() == ' ')) continue;
    line += c;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

// Whether an HDF5 reason is about file locking ("unable to lock the file"), not merely
// containing the letters ("sblock->base_addr" in a truncated file's reason).
bool is_lock_error(const std::string& why) {
  for (size_t pos = why.find("lock"); pos != std::string::npos; pos = why.find("lock", pos + 1)) {
    if (pos == 0 || !std::isalpha(static_cast<unsigned char>(why[pos - 1]))) return true;
    if (why[pos - 1] == 'f' && (pos == 1 || !std::isalpha(static_cast<unsigned char>(why[pos - 2]))))
      return true;  // flock
  }
  return false;
}

hid_t native_type(at::ScalarType t) {
  switch (t) {
    case at::kByte: return H5T_NATIVE_UINT8;
    case at::kInt: return H5T_NATIVE_INT32;
    case at::kLong: return H5T_NATIVE_INT64;
    case at::kFloat: return H5T_NATIVE_FLOAT;
    case at::kDouble: return H5T_NATIVE_DOUBLE;
    default: fail("HDF5: unsupported tensor dtype ", c10::toString(t));
  }
}

at::ScalarType scalar_type_of(hid_t type, const std::string& where) {
  H5T_class_t cls = H5Tget_class(type);
  size_t size = H5Tget_size(type);
  if (cls == H5T_INTEGER) {
    bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (size == 1) return is_signed ? at::kChar : at::kByte;
    if (size == 4 && is_signed) return at::kInt;
    if (size == 8 && is_signed) return at::kLong;
    if (size == 2 && is_signed) return at::kShort;
  } else if (cls == H5T_FLOAT) {
    if (size == 4) return at::kFloat;
    if (size == 8) return at::kDouble;
  } else if (cls == H5T_ENUM && size == 1) {
    return at::kBool;  // h5py stores numpy bool as an 8-bit enum
  }
  fail(where, ": unsupported HDF5 element type (class ", int(cls), ", ", size, " bytes)");
}

hid_t memory_type_for(at::ScalarType t) {
  if (t == at::kChar) return H5T_NATIVE_INT8;
  if (t == at::kShort) return H5T_NATIVE_INT16;
  if (t == at::kBool) return H5T_NATIVE_UINT8;
  return native_type(t);
}

std::string where(const File& f, const std::string& path) { return f.path() + ":" + path; }

// A creation property list (group, dataset, file) whose objects carry no modification times:
// the same content then makes the same bytes, so that two runs' files compare with cmp.
Handle untimed(hid_t plist_class) {
  Handle p(H5Pcreate(plist_class), Handle::Kind::Plist);
  H5Pset_obj_track_times(p.id(), false);
  return p;
}

// Creates every missing group on the way to `path`'s parent.
void make_parents(File& f, const std::string& path) {
  std::string prefix;
  size_t pos = 1;
  while ((pos = path.find('/', pos)) != std::string::npos) {
    prefix = path.substr(0, pos);
    if (!prefix.empty() && H5Lexists(f.id(), prefix.c_str(), H5P_DEFAULT) <= 0) {
      hid_t g = H5Gcreate2(f.id(), prefix.c_str(), H5P_DEFAULT,
                           untimed(H5P_GROUP_CREATE).id(), H5P_DEFAULT);
      if (g < 0) fail(where(f, prefix), ": cannot create group");
      H5Gclose(g);
    }
    ++pos;
  }
}

Handle open_dataset(const File& f, const std::string& path) {
  if (!exists(f, path)) bad_input(where(f, path), ": dataset not found");
  hid_t d = H5Dopen2(f.id(), path.c_str(), H5P_DEFAULT);
  if (d < 0) bad_input(where(f, path), ": cannot open dataset");
  return Handle(d, Handle::Kind::Dataset);
}

Handle open_object(const File& f, const std::string& path) {
  if (path != "/" && !exists(f, path)) bad_input(where(f, path), ": object not found");
  hid_t o = H5Oopen(f.id(), path.c_str(), H5P_DEFAULT);
  if (o < 0) bad_input(where(f, path), ": cannot open object");
  return Handle(o, Handle::Kind::Group);  // closed with H5Oclose, see reset()
}

void remove_if_exists(File& f, const std::string& path) {
  if (exists(f, path)) H5Ldelete(f.id(), path.c_str(), H5P_DEFAULT);
}

Handle open_attr_target(File& f, const std::string& path) {
  make_parents(f, path + "/x");
  if (path != "/" && !exists(f, path)) {
    hid_t g = H5Gcreate2(f.id(), path.c_str(), H5P_DEFAULT, untimed(H5P_GROUP_CREATE).id(),
                         H5P_DEFAULT);
    if (g < 0) fail(where(f, path), ": cannot create group");
    H5Gclose(g);
  }
  return open_object(f, path);
}

void write_attr(File& f, const std::string& path, const std::string& name, hid_t type,
                hid_t space, const void* data) {
  Handle obj = open_attr_target(f, path);
  if (H5Aexists(obj.id(), name.c_str()) > 0) H5Adelete(obj.id(), name.c_str());
  hid_t a = H5Acreate2(obj.id(), name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0) fail(where(f, path), ": cannot create attribute ", name);
  Handle attr(a, Handle::Kind::Attribute);
  if (H5Awrite(a, type, data) < 0) fail(where(f, path), ": cannot write attribute ", name);
}

Handle vlen_string_type() {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return Handle(t, Handle::Kind::Datatype);
}

Handle open_attr(const File& f, const std::string& path, const std::string& name) {
  Handle obj = open_object(f, path);
  if (H5Aexists(obj.id(), name.c_str()) <= 0)
    bad_input(where(f, path), ": attribute '", name, "' not found");
  return Handle(H5Aopen(obj.id(), name.c_str(), H5P_DEFAULT), Handle::Kind::Attribute);
}

// Reads a string or string-array attribute, fixed or variable length.
std::vector<std::string> read_string_attr(const File& f, const std::string& path,
                                          const std::string& name) {
  Handle a = open_attr(f, path, name);
  Handle type(H5Aget_type(a.id()), Handle::Kind::Datatype);
  if (H5Tget_class(type.id()) != H5T_STRING)
    bad_input(where(f, path), ": attribute '", name, "' is not a string");
  Handle space(H5Aget_space(a.id()), Handle::Kind::Dataspace);
  hssize_t n = H5Sget_simple_extent_npoints(space.id());
  std::vector<std::string> out;
  if (H5Tis_variable_str(type.id()) > 0) {
    std::vector<char*> ptrs(n, nullptr);
    Handle mt = vlen_string_type();
    if (H5Aread(a.id(), mt.id(), ptrs.data()) < 0) fail(where(f, path), ": cannot read ", name);
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mt.id(), space.id(), H5P_DEFAULT, ptrs.data());
  } else {
    size_t len = H5Tget_size(type.id());
    std::vector<char> buf(len * n);
    if (H5Aread(a.id(), type.id(), buf.data()) < 0) fail(where(f, path), ": cannot read ", name);
    for (hssize_t i = 0; i < n; ++i) {
      std::string s(buf.data() + i * len, len);
      out.push_back(s.substr(0, s.find('\0')));
    }
  }
  return out;
}

}  // namespace

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    kind_ = o.kind_;
    o.id_ = -1;
  }
  return *this;
}

herr_t Handle::close() {
  const auto lock = serialized();
  if (id_ < 0) return 0;
  herr_t status = 0;
  switch (kind_) {
    case Kind::File: status = H5Fclose(id_); break;
    case Kind::Group: status = H5Oclose(id_); break;
    case Kind::Dataset: status = H5Dclose(id_); break;
    case Kind::Dataspace: status = H5Sclose(id_); break;
    case Kind::Datatype: status = H5Tclose(id_); break;
    case Kind::Attribute: status = H5Aclose(id_); break;
    case Kind::Plist: status = H5Pclose(id_); break;
  }
  id_ = -1;
  return status;
}

File File::create(const std::string& path) {
  const auto lock = serialized();
  File f;
  f.path_ = path;
  errno = 0;
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, untimed(H5P_FILE_CREATE).id(), H5P_DEFAULT);
  // The system's reason when HDF5 left one (a full disk, a quota), else the usual suspects.
  if (id < 0)
    bad_input(path, ": cannot create HDF5 file (",
              errno != 0 ? std::strerror(errno) : "folder missing or not writable?", ")");
  f.h_ = Handle(id, Handle::Kind::File);
  return f;
}

File File::open(const std::string& path, bool writable) {
  const auto lock = serialized();
  if (!std::filesystem::exists(path)) bad_input(path, ": file not found");
  if (std::filesystem::is_directory(path)) bad_input(path, ": is a folder, not an HDF5 file");
  File f;
  f.path_ = path;
  hid_t id = H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) {
    const std::string why = innermost_error();
    // Lustre and NFS mounts without flock refuse HDF5's file lock.
    const bool lock = is_lock_error(why);
    bad_input(path, lock ? ": cannot open HDF5 file" : ": not a readable HDF5 file",
              why.empty() ? "" : " (HDF5: " + why + ")",
              lock ? "; another process may be writing it, or the file system has no file locks "
                     "(then set HDF5_USE_FILE_LOCKING=FALSE)"
                   : "");
  }
  f.h_ = Handle(id, Handle::Kind::File);
  return f;
}

void File::close() {
  const auto lock = serialized();
  if (!h_) return;
  // Flush first: with objects still open, H5Fclose only drops our reference and writes later.
  const bool flushed = H5Fflush(h_.id(), H5F_SCOPE_LOCAL) >= 0;
  if (h_.close() < 0 || !flushed)
    fail(path_, ": writing the HDF5 file failed (disk full or over quota?)");
}

bool exists(const File& f, const std::string& path) {
  const auto lock = serialized();
  if (path == "/" || path.empty()) return true;
  // Walk the path so that a missing intermediate group is "false", not an error.
  size_t pos = 1;
  while (true) {
    size_t next = path.find('/', pos);
    std::string prefix = path.substr(0, next);
    if (H5Lexists(f.id(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (next == std::string::npos) return true;
    pos = next + 1;
  }
}

void write_tensor(File& f, const std::string& path, const at::Tensor& tensor, bool compress) {
  const auto lock = serialized();
  at::Tensor t = tensor.contiguous().cpu();
  hid_t mt = native_type(t.scalar_type());
  make_parents(f, path);
  remove_if_exists(f, path);
  std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
  Handle space(H5Screate_simple(int(dims.size()), dims.data(), nullptr), Handle::Kind::Dataspace);
  Handle dcpl = untimed(H5P_DATASET_CREATE);
  if (compress && t.numel() > 0 && !dims.empty()) {
    std::vector<hsize_t> chunk(dims);
    chunk[0] = 1;
    for (auto& c : chunk) c = std::max<hsize_t>(c, 1);
    H5Pset_chunk(dcpl.id(), int(chunk.size()), chunk.data());
    H5Pset_deflate(dcpl.id(), 4);
  }
  hid_t d = H5Dcreate2(f.id(), path.c_str(), mt, space.id(), H5P_DEFAULT, dcpl.id(), H5P_DEFAULT);
  if (d < 0) fail(where(f, path), ": cannot create dataset");
  Handle ds(d, Handle::Kind::Dataset);
  if ((t.numel() > 0 && H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()) < 0) ||
      ds.close() < 0)  // a compressed dataset's chunks are written at its close
    fail(where(f, path), ": write failed (disk full?)");
}

std::vector<int64_t> shape(const File& f, const std::string& path) {
  const auto lock = serialized();
  Handle ds = open_dataset(f, path);
  Handle space(H5Dget_space(ds.id()), Handle::Kind::Dataspace);
  int rank = H5Sget_simple_extent_ndims(space.id());
  std::vector<hsize_t> dims(rank);
  H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
  return std::vector<int64_t>(dims.begin(), dims.end());
}

// An element type as numpy and h5py name it ("int8"), not LibTorch's C++ name ("Char").
std::string numpy_name(at::ScalarType t) {
  switch (t) {
    case at::kBool: return "bool";
    case at::kByte: return "uint8";
    case at::kChar: return "int8";
    case at::kShort: return "int16";
    case at::kInt: return "int32";
    case at::kLong: return "int64";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    default: return c10::toString(t);
  }
}

at::ScalarType stored_type(const File& f, const std::string& path) {
  const auto lock = serialized();
  Handle ds = open_dataset(f, path);
  Handle type(H5Dget_type(ds.id()), Handle::Kind::Datatype);
  return scalar_type_of(type.id(), where(f, path));
}

at::Tensor read_tensor(const File& f, const std::string& path) {
  const auto lock = serialized();
  auto dims = shape(f, path);
  return dims.empty() ? read_rows(f, path, 0, 1).reshape({}) : read_rows(f, path, 0, dims[0]);
}

at::Tensor read_rows(const File& f, const std::string& path, int64_t first, int64_t count) {
  const auto lock = serialized();
  Handle ds = open_dataset(f, path);
  Handle type(H5Dget_type(ds.id()), Handle::Kind::Datatype);
  at::ScalarType st = scalar_type_of(type.id(), where(f, path));
  Handle space(H5Dget_space(ds.id()), Handle::Kind::Dataspace);
  int rank = H5Sget_simple_extent_ndims(space.id());
  std::vector<hsize_t> dims(rank);
  H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
  if (rank == 0) {
    at::Tensor out = torch::empty({1}, at::TensorOptions().dtype(st));
    if (H5Dread(ds.id(), memory_type_for(st), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data_ptr()) < 0)
      fail(where(f, path), ": read failed");
    return out;
  }
  if (first < 0 || count < 0 || hsize_t(first + count) > dims[0])
    fail(where(f, path), ": rows [", first, ", ", first + count, ") out of range (", dims[0], ")");
  std::vector<int64_t> out_dims(dims.begin(), dims.end());
  out_dims[0] = count;
  at::Tensor out = torch::empty(out_dims, at::TensorOptions().dtype(st));
  if (out.numel() == 0) return out;
  std::vector<hsize_t> start(rank, 0), cnt(dims);
  start[0] = first;
  cnt[0] = count;
  H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, start.data(), nullptr, cnt.data(), nullptr);
  Handle mspace(H5Screate_simple(rank, cnt.data(), nullptr), Handle::Kind::Dataspace);
  if (H5Dread(ds.id(), memory_type_for(st), mspace.id(), space.id(), H5P_DEFAULT,
              out.data_ptr()) < 0)
    bad_input(where(f, path), ": read failed (file truncated or corrupt?)");
  return out;
}

Writer::Writer(File& f, const std::string& path, at::ScalarType dtype, std::vector<int64_t> dims,
               int64_t chunk_rows, int gzip_level)
    : where_(where(f, path)), dtype_(dtype), dims_(dims.begin(), dims.end()) {
  const auto lock = serialized();
  LOCE_CHECK(!dims.empty(), where_, ": a row writer needs at least one dimension");
  make_parents(f, path);
  remove_if_exists(f, path);
  Handle space(H5Screate_simple(int(dims_.size()), dims_.data(), nullptr),
               Handle::Kind::Dataspace);
  Handle dcpl = untimed(H5P_DATASET_CREATE);
  if (dims_[0] > 0) {
    std::vector<hsize_t> chunk(dims_);
    chunk[0] = std::min<hsize_t>(std::max<int64_t>(chunk_rows, 1), dims_[0]);
    for (auto& c : chunk) c = std::max<hsize_t>(c, 1);
    H5Pset_chunk(dcpl.id(), int(chunk.size()), chunk.data());
    if (gzip_level > 0) {
      H5Pset_shuffle(dcpl.id());
      H5Pset_deflate(dcpl.id(), gzip_level);
    }
  }
  hid_t d = H5Dcreate2(f.id(), path.c_str(), native_type(dtype), space.id(), H5P_DEFAULT,
                       dcpl.id(), H5P_DEFAULT);
  if (d < 0) {
    double chunk_bytes = double(H5Tget_size(native_type(dtype))) * std::max<hsize_t>(
        1, std::min<hsize_t>(std::max<int64_t>(chunk_rows, 1), dims_[0]));
    for (size_t i = 1; i < dims_.size(); ++i) chunk_bytes *= double(std::max<hsize_t>(dims_[i], 1));
    if (chunk_bytes >= 4294967296.0)
      fail(where_, ": cannot create dataset: one chunk of ", chunk_rows, " row(s) would be ",
           chunk_bytes, " bytes, over HDF5's 4 GiB limit on a chunk");
    const std::string why = innermost_error();
    fail(where_, ": cannot create dataset", why.empty() ? "" : " (HDF5: " + why + ")");
  }
  ds_ = Handle(d, Handle::Kind::Dataset);
}

void Writer::finish() {
  const auto lock = serialized();
  if (ds_.close() < 0) fail(where_, ": writing the last rows failed (disk full or over quota?)");
}

void Writer::write_rows(int64_t first_row, const at::Tensor& rows) {
  const auto lock = serialized();
  at::Tensor t = rows.to(torch::kCPU, dtype_).contiguous();
  LOCE_CHECK(t.dim() == int64_t(dims_.size()), where_, ": rank mismatch in write_rows");
  std::vector<hsize_t> start(dims_.size(), 0), cnt(dims_);
  start[0] = first_row;
  cnt[0] = t.size(0);
  for (size_t i = 1; i < dims_.size(); ++i)
    LOCE_CHECK(hsize_t(t.size(i)) == dims_[i], where_, ": row shape mismatch at dim ", i);
  LOCE_CHECK(first_row >= 0 && first_row + t.size(0) <= int64_t(dims_[0]), where_,
             ": rows out of range");
  if (t.numel() == 0) return;
  Handle fspace(H5Dget_space(ds_.id()), Handle::Kind::Dataspace);
  H5Sselect_hyperslab(fspace.id(), H5S_SELECT_SET, start.data(), nullptr, cnt.data(), nullptr);
  Handle mspace(H5Screate_simple(int(cnt.size()), cnt.data(), nullptr), Handle::Kind::Dataspace);
  if (H5Dwrite(ds_.id(), native_type(dtype_), mspace.id(), fspace.id(), H5P_DEFAULT,
               t.data_ptr()) < 0)
    fail(where_, ": write failed (disk full?)");
}

void write_strings(File& f, const std::string& path, const std::vector<std::string>& values) {
  const auto lock = serialized();
  make_parents(f, path);
  remove_if_exists(f, path);
  hsize_t n = values.size();
  Handle type = vlen_string_type();
  Handle space(H5Screate_simple(1, &n, nullptr), Handle::Kind::Dataspace);
  hid_t d = H5Dcreate2(f.id(), path.c_str(), type.id(), space.id(), H5P_DEFAULT,
                       untimed(H5P_DATASET_CREATE).id(), H5P_DEFAULT);
  if (d < 0) fail(where(f, path), ": cannot create dataset");
  Handle ds(d, Handle::Kind::Dataset);
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  if ((n > 0 && H5Dwrite(d, type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0) ||
      ds.close() < 0)
    fail(where(f, path), ": write failed (disk full?)");
}

std::vector<std::string> read_strings(const File& f, const std::string& path) {
  const auto lock = serialized();
  Handle ds = open_dataset(f, path);
  Handle type(H5Dget_type(ds.id()), Handle::Kind::Datatype);
  if (H5Tget_class(type.id()) != H5T_STRING) bad_input(where(f, path), ": not a string dataset");
  Handle space(H5Dget_space(ds.id()), Handle::Kind::Dataspace);
  hssize_t n = H5Sget_simple_extent_npoints(space.id());
  std::vector<std::string> out;
  if (n == 0) return out;
  if (H5Tis_variable_str(type.id()) > 0) {
    std::vector<char*> ptrs(n, nullptr);
    Handle mt = vlen_string_type();
    if (H5Dread(ds.id(), mt.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
      fail(where(f, path), ": read failed");
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mt.id(), space.id(), H5P_DEFAULT, ptrs.data());
  } else {
    size_t len = H5Tget_size(type.id());
    std::vector<char> buf(len * n);
    if (H5Dread(ds.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
      fail(where(f, path), ": read failed");
    for (hssize_t i = 0; i < n; ++i) {
      std::string s(buf.data() + i * len, len);
      out.push_back(s.substr(0, s.find('\0')));
    }
  }
  return out;
}

void set_attr(File& f, const std::string& path, const std::string& name, const std::string& v) {
  const auto lock = serialized();
  Handle type = vlen_string_type();
  Handle space(H5Screate(H5S_SCALAR), Handle::Kind::Dataspace);
  const char* p = v.c_str();
  write_attr(f, path, name, type.id(), space.id(), &p);
}

void set_attr(File& f, const std::string& path, const std::string& name, int64_t v) {
  const auto lock = serialized();
  Handle space(H5Screate(H5S_SCALAR), Handle::Kind::Dataspace);
  write_attr(f, path, name, H5T_NATIVE_INT64, space.id(), &v);
}

void set_attr(File& f, const std::string& path, const std::string& name, double v) {
  const auto lock = serialized();
  Handle space(H5Screate(H5S_SCALAR), Handle::Kind::Dataspace);
  write_attr(f, path, name, H5T_NATIVE_DOUBLE, space.id(), &v);
}

void set_attr(File& f, const std::string& path, const std::string& name,
              const std::vector<std::string>& v) {
  const auto lock = serialized();
  Handle type = vlen_string_type();
  hsize_t n = v.size();
  Handle space(H5Screate_simple(1, &n, nullptr), Handle::Kind::Dataspace);
  std::vector<const char*> ptrs;
  for (const auto& s : v) ptrs.push_back(s.c_str());
  write_attr(f, path, name, type.id(), space.id(), ptrs.data());
}

bool has_attr(const File& f, const std::string& path, const std::string& name) {
  const auto lock = serialized();
  if (!exists(f, path)) return false;
  Handle obj = open_object(f, path);
  return H5Aexists(obj.id(), name.c_str()) > 0;
}

std::string attr_string(const File& f, const std::string& path, const std::string& name) {
  const auto lock = serialized();
  auto v = read_string_attr(f, path, name);
  if (v.size() != 1) bad_input(where(f, path), ": attribute '", name, "' is not a scalar string");
  return v[0];
}

std::vector<std::string> attr_strings(const File& f, const std::string& path,
                                      const std::string& name) {
  const auto lock = serialized();
  return read_string_attr(f, path, name);
}

namespace {
// Refuses an attribute that is not one value of one of the type classes `allowed`: H5Aread
// into one number reads as many as the attribute holds (an array would overflow it), and
// converts a float to an integer silently (2.7 would read as 2).
void require_scalar(const Handle& a, const File& f, const std::string& path, const std::string& name,
                    std::initializer_list<H5T_class_t> allowed, const char* what) {
  Handle space(H5Aget_space(a.id()), Handle::Kind::Dataspace);
  const hssize_t points = space ? H5Sget_simple_extent_npoints(space.id()) : -1;
  if (points != 1)
    bad_input(where(f, path), ": attribute '", name, "' must be one value, found ", points);
  Handle type(H5Aget_type(a.id()), Handle::Kind::Datatype);
  const H5T_class_t cls = type ? H5Tget_class(type.id()) : H5T_NO_CLASS;
  if (std::find(allowed.begin(), allowed.end(), cls) == allowed.end())
    bad_input(where(f, path), ": attribute '", name, "' is not ", what);
}
}  // namespace

int64_t attr_int(const File& f, const std::string& path, const std::string& name) {
  const auto lock = serialized();
  Handle a = open_attr(f, path, name);
  require_scalar(a, f, path, name, {H5T_INTEGER}, "an integer");
  int64_t v = 0;
  if (H5Aread(a.id(), H5T_NATIVE_INT64, &v) < 0)
    bad_input(where(f, path), ": attribute '", name, "' is not an integer");
  return v;
}

double attr_double(const File& f, const std::string& path, const std::string& name) {
  const auto lock = serialized();
  Handle a = open_attr(f, path, name);
  require_scalar(a, f, path, name, {H5T_INTEGER, H5T_FLOAT}, "a number");
  double v = 0;
  if (H5Aread(a.id(), H5T_NATIVE_DOUBLE, &v) < 0)
    bad_input(where(f, path), ": attribute '", name, "' is not a number");
  return v;
}

}  // namespace loce::h5
