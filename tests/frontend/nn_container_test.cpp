// Sequential and ModuleList indexing as in libtorch (`c[i]`, `ptr(i)`, `ptr<T>(i)`, `at<T>(i)`,
// Module::as), ModuleList's extend and insert (children renamed by position), and the errors
// for an index past the end or a module of another type.
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace nn = kiln::nn;

TEST_CASE("nn: Sequential indexes its modules as libtorch does", "[nn]") {
  nn::Sequential seq(nn::Linear(2, 3), nn::ReLU(), nn::Linear(3, 1));
  std::shared_ptr<nn::Module> first = seq[0];
  CHECK(first == seq->ptr(0));
  CHECK(first->name() == "Linear");
  CHECK(seq[1]->as<nn::ReLU>() != nullptr);
  CHECK(seq[1]->as<nn::LinearImpl>() == nullptr);

  std::shared_ptr<nn::LinearImpl> last = seq->ptr<nn::LinearImpl>(2);
  CHECK(last->options.out_features() == 1);
  CHECK(seq->ptr<nn::Linear>(2) == last);  // a holder type names its module type
  nn::LinearImpl& at = seq->at<nn::LinearImpl>(0);
  CHECK(&at == first.get());
  CHECK(seq->at<nn::Linear>(0).options.in_features() == 2);
  const nn::SequentialImpl& view = *seq;
  CHECK(view.at<nn::ReLUImpl>(1).name() == "ReLU");

  CHECK_THROWS_WITH(seq->at<nn::LinearImpl>(1),
                    "[Sequential] module 1 (ReLU) is not of the type asked for");
  CHECK_THROWS_WITH(seq->ptr(3), "[Sequential] index 3 is out of range for 3 modules");
  CHECK_THROWS_AS(seq[3], kiln::IndexError);
  CHECK_THROWS_AS(seq->at<nn::LinearImpl>(7), kiln::IndexError);
}

TEST_CASE("nn: ModuleList indexes its modules as libtorch does", "[nn]") {
  nn::ModuleList list(nn::Linear(2, 3), nn::Tanh());
  CHECK(list[1]->name() == "Tanh");
  CHECK(list->ptr<nn::Tanh>(1) == list->ptr(1));
  CHECK(list->at<nn::Linear>(0).options.out_features() == 3);
  CHECK_THROWS_WITH(list->ptr<nn::LinearImpl>(1),
                    "[ModuleList] module 1 (Tanh) is not of the type asked for");
  CHECK_THROWS_WITH(list[2], "[ModuleList] index 2 is out of range for 2 modules");
}

TEST_CASE("nn: ModuleList::extend appends another container's modules", "[nn]") {
  nn::ModuleList list(nn::Linear(2, 3));
  nn::ModuleList more(nn::ReLU(), nn::Linear(3, 4));
  list->extend(more);
  CHECK(list->size() == 3);
  CHECK(list[1] == more[0]);  // the same modules, shared as in libtorch
  list->extend(std::vector<nn::Linear>{nn::Linear(4, 5)});
  list->extend(std::vector<std::shared_ptr<nn::Module>>{std::make_shared<nn::TanhImpl>()});
  list->extend(nn::Sequential(nn::Sigmoid()));
  list->extend(*list);  // itself: the modules as they were before the call
  CHECK(list->size() == 12);
  std::vector<std::string> names;
  for (const auto& m : *list) names.push_back(m->name());
  CHECK(names == std::vector<std::string>{"Linear", "ReLU", "Linear", "Linear", "Tanh", "Sigmoid",
                                          "Linear", "ReLU", "Linear", "Linear", "Tanh", "Sigmoid"});
  CHECK(list->named_children().keys() ==
        std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"});
}

TEST_CASE("nn: ModuleList::insert shifts and renames the modules after it", "[nn]") {
  nn::ModuleList list(nn::Linear(1, 2), nn::Linear(2, 3));
  list->insert(1, nn::ReLU());
  list->insert(0, std::make_shared<nn::TanhImpl>());
  list->insert(4, nn::Sigmoid());  // at the end: push_back
  std::vector<std::string> names;
  for (const auto& m : *list) names.push_back(m->name());
  CHECK(names == std::vector<std::string>{"Tanh", "Linear", "ReLU", "Linear", "Sigmoid"});
  CHECK(list->named_children().keys() == std::vector<std::string>{"0", "1", "2", "3", "4"});
  for (size_t i = 0; i < list->size(); ++i) {
    CHECK(list->named_children()[std::to_string(i)] == list[i]);
  }
  CHECK(list->state_dict().keys() ==
        std::vector<std::string>{"1.weight", "1.bias", "3.weight", "3.bias"});
  CHECK(list->at<nn::LinearImpl>(3).options.in_features() == 2);
  CHECK_THROWS_WITH(list->insert(6, nn::ReLU()),
                    "[ModuleList] cannot insert at index 6 of a list of 5 modules");
  CHECK(list->size() == 5);
}
