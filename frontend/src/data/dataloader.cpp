// DataLoader: options, epochs and the iterator (the work is in epoch.cpp and collate.cpp).
#include "kiln/frontend/data/dataloader.h"

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
  current_.reset();
  current_ = std::make_unique<detail::Epoch>(dataset_, options_, epoch_++);
  current_->advance();
  return Iterator(current_.get());
}

Example& DataLoader::Iterator::operator*() const { return epoch_->batch(); }

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  epoch_->advance();
  return *this;
}

bool DataLoader::Iterator::operator==(std::default_sentinel_t) const { return epoch_->done(); }

}  // namespace kiln::data
