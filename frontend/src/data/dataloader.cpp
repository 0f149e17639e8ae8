// DataLoader: options, epochs and the iterator (the work is in epoch.cpp and collate.cpp).
#include "kiln/frontend/data/dataloader.h"

#include <string>

#include "data/epoch.h"
#include "kiln/runtime/error.h"

namespace kiln::data {

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(options) {
  if (!dataset_) throw ValueError("[DataLoader] the dataset is null");
  if (options_.batch_size() == 0) throw ValueError("[DataLoader] batch_size must be positive");
  if (options_.prefetch() == 0) throw ValueError("[DataLoader] prefetch must be positive");
}

DataLoader::~DataLoader() = default;

size_t DataLoader::size() const { return detail::Epoch::batches(dataset_->size(), options_); }

DataLoader::Iterator DataLoader::begin() {
  auto epoch = std::make_shared<detail::Epoch>(dataset_, options_, epoch_++);
  epoch->advance();
  return Iterator(std::move(epoch));
}

namespace {
detail::Epoch& at_batch(const std::shared_ptr<detail::Epoch>& epoch, const char* what) {
  if (epoch == nullptr || epoch->done()) {
    throw IndexError(std::string("[DataLoader] ") + what + " an iterator at the end of its epoch");
  }
  return *epoch;
}
}  // namespace

Example& DataLoader::Iterator::operator*() const { return at_batch(epoch_, "read").batch(); }

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  at_batch(epoch_, "advanced").advance();
  return *this;
}

DataLoader::Iterator::Previous DataLoader::Iterator::operator++(int) {
  Previous previous(**this);
  ++*this;
  return previous;
}

bool DataLoader::Iterator::operator==(std::default_sentinel_t) const {
  return epoch_ == nullptr || epoch_->done();
}

bool DataLoader::Iterator::operator==(const Iterator& other) const {
  bool at_end = *this == std::default_sentinel, other_at_end = other == std::default_sentinel;
  return at_end || other_at_end ? at_end == other_at_end : epoch_ == other.epoch_;
}

}  // namespace kiln::data
