#include "codegen/cuda/row_loop.h"

#include <cctype>
#include <map>

#include "codegen/cuda/analysis.h"
#include "kiln/runtime/error.h"

namespace kiln::codegen::cuda {

std::string cache_key(int64_t param, const kir::Expr& index, int64_t var) {
  std::string text = kir::print(index), name = "v" + std::to_string(var), out;
  for (size_t i = 0; i < text.size();) {
    bool at = text.compare(i, name.size(), name) == 0 && (i == 0 || !isalnum(text[i - 1])) &&
              (i + name.size() == text.size() || !isalnum(text[i + name.size()]));
    out += at ? "V" : text.substr(i, 1);
    i += at ? name.size() : 1;
  }
  return std::to_string(param) + ":" + out;
}

namespace {

/// Prints the unrolled loop's statements for one step of `w` lanes starting at `base`.
class Lanes {
 public:
  Lanes(Printer& pr, const kir::Stmt& loop, int64_t w, RegisterCache& cache)
      : pr_(pr), loop_(loop), w_(w), cache_(cache), dep_(loop->id) {}

  void statement(const kir::Stmt& c, const std::string& base) {
    const kir::Kernel& k = pr_.kernel();
    pr_.clear();
    vec_of_.clear();
    bool store = c->kind == kir::StmtKind::Store;
    KILN_CHECK(store || c->kind == kir::StmtKind::Accumulate, "row loop: unexpected statement");
    DType st = store ? k.params[c->id].dtype : DType::Float32;
    bool store_vec = store && w_ > 1 && contiguous(c->exprs[0], loop_->id, w_);
    std::string out, store_base;
    pr_.load_override = [this](const kir::Expr& l) { return load(l); };
    for (lane_ = 0; lane_ < w_; ++lane_) {
      pr_.forget_if([this](const kir::ExprNode* e) { return dep_(e); });
      pr_.vars[loop_->id] = lane_ ? "(" + base + " + " + std::to_string(lane_) + ")" : base;
      if (store_vec && lane_ == 0) {
        store_base = pr_.expr(c->exprs[0]);
        out = pr_.temp();
        pr_.code().line(vec_type(st, w_) + " " + out + ";");
      }
      const kir::Expr& value = c->exprs[store ? 1 : 0];
      std::string v = pr_.expr(value);
      if (!store) {
        DType t = pr_.acc_dtype.at(c->id);
        const std::string& a = pr_.acc_write.at(c->id);
        pr_.code().line(a + " = " + Printer::combine(c->reduce, t, a, convert(v, value->dtype, t)) +
                        ";");
      } else if (store_vec) {
        pr_.code().line(out + ".v[" + std::to_string(lane_) +
                        "] = " + to_memory(v, value->dtype, st) + ";");
      } else {
        pr_.code().line(pr_.store_line(c->id, pr_.expr(c->exprs[0]), v, value->dtype));
      }
    }
    pr_.load_override = nullptr;
    if (store_vec) {
      pr_.code().line("*reinterpret_cast<" + vec_type(st, w_) + "*>(p" + std::to_string(c->id) +
                      " + " + store_base + ") = " + out + ";");
    }
    pr_.vars[loop_->id] = base;
    pr_.clear();
  }

 private:
  /// A load's value in the current lane: from a register array, a vector load, or "" (scalar).
  std::string load(const kir::Expr& l) {
    const kir::Kernel& k = pr_.kernel();
    DType t = k.params[l->int_value].dtype;
    std::string key = cache_key(l->int_value, l->operands[0], loop_->id);
    auto named = cache_.name.find(key);
    bool cached = named != cache_.name.end(), fresh = cached && cache_.fresh.count(key);
    auto slot = [&](int64_t lane) {
      return named->second + "[j * " + std::to_string(w_) + " + " + std::to_string(lane) + "]";
    };
    if (cached && !fresh) return slot(lane_);
    if (w_ > 1 && contiguous(l->operands[0], loop_->id, w_)) {
      if (lane_ == 0) {
        std::string index = pr_.expr(l->operands[0]), v = pr_.temp();
        pr_.code().line("const " + vec_type(t, w_) + " " + v + " = *reinterpret_cast<const " +
                        vec_type(t, w_) + "*>(p" + std::to_string(l->int_value) + " + " + index +
                        ");");
        vec_of_[l.get()] = v;
        for (int64_t i = 0; fresh && i < w_; ++i) {
          pr_.code().line(slot(i) + " = " + from_memory(v + ".v[" + std::to_string(i) + "]", t) +
                          ";");
        }
      }
      if (fresh) return slot(lane_);
      return from_memory(vec_of_.at(l.get()) + ".v[" + std::to_string(lane_) + "]", t);
    }
    if (!fresh) return "";
    return "(" + slot(lane_) + " = " + pr_.load_text(l->int_value, pr_.expr(l->operands[0])) + ")";
  }

  Printer& pr_;
  const kir::Stmt& loop_;
  int64_t w_;
  RegisterCache& cache_;
  DependsOn dep_;
  int64_t lane_ = 0;
  std::map<const kir::ExprNode*, std::string> vec_of_;
};

}  // namespace

void print_row_loop(Printer& pr, const kir::Stmt& s, const RowLoop& how, RegisterCache& cache) {
  Code& code = pr.code();
  std::string v = "v" + std::to_string(s->id);
  std::string e = std::to_string(s->extent), b = std::to_string(how.block);
  if (!how.unrolled) {
    code.open("for (int " + v + " = threadIdx.x; " + v + " < " + e + "; " + v + " += " + b + ")");
    pr.vars[s->id] = v;
    for (const auto& c : s->body) pr.stmt(c);
    code.close();
    pr.vars.erase(s->id);
    return;
  }
  for (const auto& key : cache.fresh) {
    DType t = pr.kernel().params[std::stoll(key.substr(0, key.find(':')))].dtype;
    code.line(std::string(compute_type(t)) + " " + cache.name.at(key) + "[" +
              std::to_string(how.per_thread) + "];");
  }
  code.line("#pragma unroll");
  code.open("for (int j = 0; j < " + std::to_string(how.per_thread / how.lanes) + "; ++j)");
  code.line("const int " + v + " = (threadIdx.x + j * " + b + ") * " + std::to_string(how.lanes) +
            ";");
  bool guard = s->extent % (how.block * how.lanes) != 0;
  if (guard) code.open("if (" + v + " < " + e + ")");
  pr.vars[s->id] = v;
  Lanes lanes(pr, s, how.lanes, cache);
  for (const auto& c : s->body) {
    if (c->kind == kir::StmtKind::Store || c->kind == kir::StmtKind::Accumulate) {
      lanes.statement(c, v);
    } else {
      KILN_CHECK(how.lanes == 1, "row loop: nested statements need one lane");
      pr.stmt(c);
    }
  }
  if (guard) code.close();
  code.close();
  pr.vars.erase(s->id);
}

}  // namespace kiln::codegen::cuda
