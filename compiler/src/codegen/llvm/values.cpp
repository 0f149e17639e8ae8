#include "codegen/llvm/values.h"

#include <cmath>

#include "kiln/runtime/error.h"

namespace kiln::codegen::llvm_backend {

using llvm::Value;

namespace {
bool is_unsigned(DType t) { return t == DType::Bool || t == DType::UInt8; }
}  // namespace

llvm::Type* Values::value_type(DType t) {
  switch (t) {
    case DType::Bool: return b_.getInt1Ty();
    case DType::UInt8: return b_.getInt8Ty();
    case DType::Int32: return b_.getInt32Ty();
    case DType::Int64: return b_.getInt64Ty();
    case DType::Float16:
    case DType::BFloat16:
    case DType::Float32: return b_.getFloatTy();
    case DType::Float64: return b_.getDoubleTy();
  }
  return nullptr;
}

llvm::Type* Values::memory_type(DType t) {
  switch (t) {
    case DType::Bool: return b_.getInt8Ty();
    case DType::Float16: return b_.getHalfTy();
    case DType::BFloat16: return b_.getInt16Ty();
    case DType::UInt8:
    case DType::Int32:
    case DType::Int64:
    case DType::Float32:
    case DType::Float64: return value_type(t);
  }
  return nullptr;
}

Value* Values::int_const(int64_t v, DType t) {
  if (t == DType::Bool) return b_.getInt1(v != 0);
  return llvm::ConstantInt::get(value_type(t), static_cast<uint64_t>(v), true);
}

Value* Values::from_memory(Value* v, DType t) {
  switch (t) {
    case DType::Bool: return b_.CreateICmpNE(v, b_.getInt8(0));
    case DType::Float16: return b_.CreateFPExt(v, b_.getFloatTy());
    case DType::BFloat16:
      return b_.CreateBitCast(b_.CreateShl(b_.CreateZExt(v, b_.getInt32Ty()), 16), b_.getFloatTy());
    case DType::UInt8:
    case DType::Int32:
    case DType::Int64:
    case DType::Float32:
    case DType::Float64: return v;
  }
  return v;
}

Value* Values::to_memory(Value* v, DType t) {
  switch (t) {
    case DType::Bool: return b_.CreateZExt(v, b_.getInt8Ty());
    case DType::Float16: return b_.CreateFPTrunc(v, b_.getHalfTy());
    case DType::BFloat16: return bf16_bits(v);
    case DType::UInt8:
    case DType::Int32:
    case DType::Int64:
    case DType::Float32:
    case DType::Float64: return v;
  }
  return v;
}

Value* Values::bf16_bits(Value* f) {
  Value* x = b_.CreateBitCast(f, b_.getInt32Ty());
  Value* lsb = b_.CreateAnd(b_.CreateLShr(x, 16), b_.getInt32(1));
  Value* rounded = b_.CreateAdd(x, b_.CreateAdd(lsb, b_.getInt32(0x7fff)));
  Value* nan = b_.CreateICmpUGT(b_.CreateAnd(x, b_.getInt32(0x7fffffff)), b_.getInt32(0x7f800000));
  Value* bits = b_.CreateSelect(nan, b_.CreateOr(x, b_.getInt32(0x400000)), rounded);
  return b_.CreateTrunc(b_.CreateLShr(bits, 16), b_.getInt16Ty());
}

Value* Values::round_bf16(Value* f) { return from_memory(bf16_bits(f), DType::BFloat16); }

Value* Values::round_f16(Value* f) {
  return b_.CreateFPExt(b_.CreateFPTrunc(f, b_.getHalfTy()), b_.getFloatTy());
}

Value* Values::to_bool(Value* v, DType from) {
  if (from == DType::Bool) return v;
  if (is_floating(from)) return b_.CreateFCmpUNE(v, llvm::ConstantFP::get(v->getType(), 0.0));
  return b_.CreateICmpNE(v, llvm::ConstantInt::get(v->getType(), 0));
}

Value* Values::convert(Value* v, DType from, DType to) {
  if (from == to) return v;
  if (to == DType::Bool) return to_bool(v, from);
  llvm::Type* tt = value_type(to);
  if (!is_floating(to)) {
    if (is_floating(from)) return b_.CreateTrunc(b_.CreateFPToSI(v, b_.getInt64Ty()), tt);
    return is_unsigned(from) ? b_.CreateZExtOrTrunc(v, tt) : b_.CreateSExtOrTrunc(v, tt);
  }
  Value* f = nullptr;
  if (!is_floating(from)) {
    f = is_unsigned(from) ? b_.CreateUIToFP(v, tt) : b_.CreateSIToFP(v, tt);
  } else if (from == DType::Float64 && to != DType::Float64) {
    f = b_.CreateFPTrunc(v, tt);
  } else if (to == DType::Float64) {
    f = b_.CreateFPExt(v, tt);
  } else {
    f = v;  // among f16 / bf16 / f32: all computed as float
  }
  if (to == DType::Float16) return round_f16(f);
  if (to == DType::BFloat16) return round_bf16(f);
  return f;
}

Value* Values::unary(ir::Op op, Value* x, DType t) {
  using ir::Op;
  llvm::Type* ty = x->getType();
  if (!is_floating(t)) {
    Value* zero = llvm::ConstantInt::get(ty, 0);
    switch (op) {
      case Op::Neg: return t == DType::Bool ? x : b_.CreateNeg(x);
      case Op::Abs:
        return is_unsigned(t) ? x
                              : b_.CreateBinaryIntrinsic(llvm::Intrinsic::abs, x, b_.getFalse());
      case Op::Sign:
        if (is_unsigned(t)) return b_.CreateZExt(b_.CreateICmpNE(x, zero), ty);
        return b_.CreateSub(b_.CreateZExt(b_.CreateICmpSGT(x, zero), ty),
                            b_.CreateZExt(b_.CreateICmpSLT(x, zero), ty));
      case Op::Floor:
      case Op::Ceil:
      case Op::Round: return x;
      case Op::Not: return b_.CreateZExt(b_.CreateICmpEQ(x, zero), ty);
      default: KILN_CHECK(false, std::string("llvm codegen: no integer ") + ir::op_name(op));
    }
  }
  auto c = [&](double v) { return llvm::ConstantFP::get(ty, v); };
  switch (op) {
    case Op::Neg: return b_.CreateFNeg(x);
    case Op::Exp: return emit_math(b_, MathFn::Exp, x);
    case Op::Log: return emit_math(b_, MathFn::Log, x);
    case Op::Log1p: return emit_math(b_, MathFn::Log1p, x);
    case Op::Expm1: return emit_math(b_, MathFn::Expm1, x);
    case Op::Sqrt: return b_.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x);
    case Op::Rsqrt: return b_.CreateFDiv(c(1), b_.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x));
    case Op::Abs: return b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
    case Op::Sign:  // ordered compares: sign(NaN) = 0, as in PyTorch
      return b_.CreateSelect(b_.CreateFCmpOGT(x, c(0)), c(1),
                             b_.CreateSelect(b_.CreateFCmpOLT(x, c(0)), c(-1), c(0)));
    case Op::Sin: return emit_math(b_, MathFn::Sin, x);
    case Op::Cos: return emit_math(b_, MathFn::Cos, x);
    case Op::Tanh: return emit_math(b_, MathFn::Tanh, x);
    case Op::Sigmoid: return emit_math(b_, MathFn::Sigmoid, x);
    case Op::Erf: return emit_math(b_, MathFn::Erf, x);
    case Op::Floor: return b_.CreateUnaryIntrinsic(llvm::Intrinsic::floor, x);
    case Op::Ceil: return b_.CreateUnaryIntrinsic(llvm::Intrinsic::ceil, x);
    case Op::Round: return b_.CreateUnaryIntrinsic(llvm::Intrinsic::roundeven, x);
    case Op::Reciprocal: return b_.CreateFDiv(c(1), x);
    case Op::Not: return b_.CreateSelect(b_.CreateFCmpOEQ(x, c(0)), c(1), c(0));
    default: KILN_CHECK(false, std::string("llvm codegen: no float ") + ir::op_name(op));
  }
}

Value* Values::binary(kir::BinOp op, Value* a, Value* b, DType t, bool b_const) {
  using kir::BinOp;
  bool fp = is_floating(t), un = is_unsigned(t);
  auto guard = [&](Value* d) {  // integer division by zero must not trap
    if (b_const) return d;
    Value* zero = llvm::ConstantInt::get(d->getType(), 0);
    return b_.CreateSelect(b_.CreateICmpEQ(d, zero), llvm::ConstantInt::get(d->getType(), 1), d);
  };
  switch (op) {
    case BinOp::Add:
      return fp ? b_.CreateFAdd(a, b) : (t == DType::Bool ? b_.CreateOr(a, b) : b_.CreateAdd(a, b));
    case BinOp::Sub:
      return fp ? b_.CreateFSub(a, b)
                : (t == DType::Bool ? b_.CreateXor(a, b) : b_.CreateSub(a, b));
    case BinOp::Mul:
      return fp ? b_.CreateFMul(a, b)
                : (t == DType::Bool ? b_.CreateAnd(a, b) : b_.CreateMul(a, b));
    case BinOp::Div:
      if (fp) return b_.CreateFDiv(a, b);
      return un ? b_.CreateUDiv(a, guard(b)) : b_.CreateSDiv(a, guard(b));
    case BinOp::Mod:
      if (fp) return b_.CreateFRem(a, b);
      return un ? b_.CreateURem(a, guard(b)) : b_.CreateSRem(a, guard(b));
    case BinOp::Pow:
      if (fp) return emit_math(b_, MathFn::Pow, a, b);
      return t == DType::Bool ? b_.CreateOr(a, b_.CreateNot(b)) : emit_ipow(b_, a, b);
    case BinOp::Max:
      if (fp) return b_.CreateBinaryIntrinsic(llvm::Intrinsic::maximum, a, b);
      return b_.CreateBinaryIntrinsic(un ? llvm::Intrinsic::umax : llvm::Intrinsic::smax, a, b);
    case BinOp::Min:
      if (fp) return b_.CreateBinaryIntrinsic(llvm::Intrinsic::minimum, a, b);
      return b_.CreateBinaryIntrinsic(un ? llvm::Intrinsic::umin : llvm::Intrinsic::smin, a, b);
    case BinOp::Lt:
      return fp ? b_.CreateFCmpOLT(a, b) : (un ? b_.CreateICmpULT(a, b) : b_.CreateICmpSLT(a, b));
    case BinOp::Le:
      return fp ? b_.CreateFCmpOLE(a, b) : (un ? b_.CreateICmpULE(a, b) : b_.CreateICmpSLE(a, b));
    case BinOp::Gt:
      return fp ? b_.CreateFCmpOGT(a, b) : (un ? b_.CreateICmpUGT(a, b) : b_.CreateICmpSGT(a, b));
    case BinOp::Ge:
      return fp ? b_.CreateFCmpOGE(a, b) : (un ? b_.CreateICmpUGE(a, b) : b_.CreateICmpSGE(a, b));
    case BinOp::Eq: return fp ? b_.CreateFCmpOEQ(a, b) : b_.CreateICmpEQ(a, b);
    case BinOp::Ne: return fp ? b_.CreateFCmpUNE(a, b) : b_.CreateICmpNE(a, b);
    case BinOp::And: return b_.CreateAnd(to_bool(a, t), to_bool(b, t));
    case BinOp::Or: return b_.CreateOr(to_bool(a, t), to_bool(b, t));
  }
  return nullptr;
}

Value* Values::philox(uint64_t seed, uint64_t offset, int64_t dist, DType t, Value* index,
                      Value* stream) {
  // Bit-exact with runtime::philox_words and the interpreter's random_value.
  llvm::IRBuilderBase::FastMathFlagGuard fmf_guard(b_);
  b_.clearFastMathFlags();
  auto* i32 = b_.getInt32Ty();
  auto* i64 = b_.getInt64Ty();
  Value* off = b_.getInt64(offset);
  if (stream != nullptr) off = b_.CreateAdd(off, stream);
  Value* c[4] = {b_.CreateTrunc(index, i32), b_.CreateTrunc(b_.CreateLShr(index, 32), i32),
                 b_.CreateTrunc(off, i32), b_.CreateTrunc(b_.CreateLShr(off, 32), i32)};
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    Value* p0 = b_.CreateMul(b_.CreateZExt(c[0], i64), b_.getInt64(0xD2511F53u));
    Value* p1 = b_.CreateMul(b_.CreateZExt(c[2], i64), b_.getInt64(0xCD9E8D57u));
    Value* hi0 = b_.CreateTrunc(b_.CreateLShr(p0, 32), i32);
    Value* lo0 = b_.CreateTrunc(p0, i32);
    Value* hi1 = b_.CreateTrunc(b_.CreateLShr(p1, 32), i32);
    Value* lo1 = b_.CreateTrunc(p1, i32);
    Value* n0 = b_.CreateXor(b_.CreateXor(hi1, c[1]), b_.getInt32(k0));
    Value* n2 = b_.CreateXor(b_.CreateXor(hi0, c[3]), b_.getInt32(k1));
    c[0] = n0;
    c[1] = lo1;
    c[2] = n2;
    c[3] = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  auto bits53 = [&](Value* a, Value* bw) {  // philox_uniform's 53 random bits
    Value* v = b_.CreateXor(b_.CreateShl(b_.CreateZExt(a, i64), 21),
                            b_.CreateLShr(b_.CreateZExt(bw, i64), 11));
    return b_.CreateAnd(v, b_.getInt64((uint64_t{1} << 53) - 1));
  };
  llvm::Type* vt = value_type(t);
  if (dist == 0) {  // uniform with the dtype's mantissa bits: floor(u 2^m) / 2^m, exact
    int m = t == DType::Float16 ? 11 : t == DType::BFloat16 ? 8 : t == DType::Float32 ? 24 : 53;
    Value* k = b_.CreateLShr(bits53(c[0], c[1]), 53 - m);
    return b_.CreateFMul(b_.CreateUIToFP(k, vt), llvm::ConstantFP::get(vt, std::ldexp(1.0, -m)));
  }
  // Box-Muller in double: sqrt(-2 log(u1)) cos(2 pi u2), u1 = 1 - uniform in (0, 1].
  auto* f64 = b_.getDoubleTy();
  Value* scale53 = llvm::ConstantFP::get(f64, 1.0 / 9007199254740992.0);
  Value* u1 = b_.CreateFSub(llvm::ConstantFP::get(f64, 1.0),
                            b_.CreateFMul(b_.CreateUIToFP(bits53(c[0], c[1]), f64), scale53));
  Value* u2 = b_.CreateFMul(b_.CreateUIToFP(bits53(c[2], c[3]), f64), scale53);
  Value* angle = b_.CreateFMul(llvm::ConstantFP::get(f64, 2.0 * M_PI), u2);
  Value *log_u1 = nullptr, *cos_a = nullptr;
  if (t == DType::Float64) {  // libm, so that f64 samples are bit-exact too
    llvm::Module& m = *b_.GetInsertBlock()->getModule();
    auto* fty = llvm::FunctionType::get(f64, {f64}, false);
    log_u1 = b_.CreateCall(m.getOrInsertFunction("log", fty), {u1});
    cos_a = b_.CreateCall(m.getOrInsertFunction("cos", fty), {angle});
  } else {  // the vectorizable f64 routines: within an ulp of libm, far below f32's rounding
    log_u1 = emit_math(b_, MathFn::Log, u1);
    cos_a = emit_math(b_, MathFn::Cos, angle);
  }
  Value* r = b_.CreateFMul(
      b_.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt,
                              b_.CreateFMul(llvm::ConstantFP::get(f64, -2.0), log_u1)),
      cos_a);
  return convert(r, DType::Float64, t);
}

}  // namespace kiln::codegen::llvm_backend
