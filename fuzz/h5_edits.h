// Valid HDF5 files edited at the level of HDF5 objects, for the fuzzers of the readers of
// rnnatlas's HDF5 files (network, dynamics, distance, embedding files).
// See targets.h and docs/reliability.md.
//
// Mutating the bytes of an HDF5 file mostly tests HDF5's own parser (and Debian's HDF5 1.10
// overflows a heap buffer on some damaged files within seconds: docs/reliability.md). These
// fuzzers instead edit a valid file the way a user with h5py, or a half-broken writer, could:
// attributes and datasets deleted, renamed, or replaced by values of another type, rank, shape or
// range, and unknown entries added. The file stays valid HDF5; only rnnatlas's readers are tested.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rnnatlas::fuzz {

/// The fuzz input, consumed byte by byte; zeros once exhausted.
class Bytes {
 public:
  explicit Bytes(std::string_view data) : data_(data) {}
  std::uint8_t next() { return pos_ < data_.size() ? static_cast<std::uint8_t>(data_[pos_++]) : 0; }
  template <typename T>
  const T& pick(const std::vector<T>& options) {
    return options[next() % options.size()];
  }
  /// Up to `max_size` raw bytes of the input.
  std::string text(std::size_t max_size) {
    const std::size_t n = std::min<std::size_t>(next() % (max_size + 1), data_.size() - pos_);
    std::string out(data_.substr(pos_, n));
    pos_ += n;
    return out;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

/// `image` (a valid HDF5 file) after up to 3 edits chosen by the rest of the input (none for an
/// exhausted input). Each edit picks one attribute or link of any group of the file and deletes,
/// renames or replaces it, or adds an unknown entry beside it. HDF5 refusing an edit (writing an
/// attribute as a link, say) leaves the file as it was.
std::vector<unsigned char> edited(std::vector<unsigned char> image, Bytes& in);

/// Every attribute and dataset of the file `image` as text, one per line, but the root's
/// `created` (the time of writing): two files with the same contents give the same text.
std::string contents(const std::vector<unsigned char>& image);

/// Asserts that every HDF5 object a reader opened (files, groups, datasets, attributes, types) is
/// closed again, whatever the outcome. (LeakSanitizer cannot tell these from HDF5's own leaks;
/// fuzz/lsan.supp.)
void assert_no_open_hdf5_objects();

}  // namespace rnnatlas::fuzz
