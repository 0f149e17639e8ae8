// 8- and 16-lane AVX-512 variants of f32 exp, sigmoid and erf, which the loop vectorizer calls in
// place of the scalar functions of math.cpp through the vector-function ABI. Generic IR cannot say
// what makes these cheap on AVX-512: vscalefps scales by 2^n with IEEE overflow, underflow and
// subnormal rounding in one instruction (exp's exponent bit tricks and their special cases take
// seven), vrcp14ps plus one Newton step is a reciprocal to 2^-28 (sigmoid's 1 / (1 + e)), and
// vpermps looks up a 16-entry table per lane, so erf is one short polynomial whose coefficients
// depend on the lane's interval instead of two long ones evaluated on every lane. Accuracy,
// measured by llvm_math_accuracy_test (which runs these on every vectorized lane): exp within
// 1 ulp, sigmoid within 3, erf within 2.
#include <cmath>
#include <string>
#include <vector>

#include <llvm/IR/IntrinsicsX86.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/llvm/llvm_backend.h"

namespace kiln::codegen::llvm_backend {

namespace {

using llvm::Value;

#include "codegen/llvm/erf_f32_table.inc"
#include "codegen/llvm/exp_f32_coeffs.inc"

/// Builds straight-line code on <8 x float> (AVX-512VL forms) or <16 x float>.
struct Lanes {
  llvm::IRBuilder<>& b;
  llvm::Module& m;
  unsigned n;
  llvm::VectorType* vt = llvm::FixedVectorType::get(b.getFloatTy(), n);
  llvm::VectorType* it = llvm::FixedVectorType::get(b.getInt32Ty(), n);
  bool wide = n == 16;

  Value* c(double v) { return llvm::ConstantFP::get(vt, v); }
  Value* all() { return wide ? b.getInt16(0xffff) : b.getInt8(0xff); }
  Value* call(llvm::Intrinsic::ID id, llvm::ArrayRef<Value*> args) {
    return b.CreateCall(llvm::Intrinsic::getDeclaration(&m, id), args);
  }
  Value* fma(Value* a, Value* x, Value* y) {
    return b.CreateIntrinsic(llvm::Intrinsic::fma, {vt}, {a, x, y});
  }
  /// SSE max/min: the second operand when either is NaN (so a NaN x stays NaN in max(lo, x)).
  Value* max(Value* a, Value* x) {
    if (!wide) return call(llvm::Intrinsic::x86_avx_max_ps_256, {a, x});
    return call(llvm::Intrinsic::x86_avx512_max_ps_512, {a, x, b.getInt32(4)});
  }
  Value* min(Value* a, Value* x) {
    if (!wide) return call(llvm::Intrinsic::x86_avx_min_ps_256, {a, x});
    return call(llvm::Intrinsic::x86_avx512_min_ps_512, {a, x, b.getInt32(4)});
  }
  /// x * 2^floor(n), rounded once (vscalefps).
  Value* scalef(Value* x, Value* e) {
    Value* pass = llvm::UndefValue::get(vt);
    if (!wide) return call(llvm::Intrinsic::x86_avx512_mask_scalef_ps_256, {x, e, pass, all()});
    return call(llvm::Intrinsic::x86_avx512_mask_scalef_ps_512, {x, e, pass, all(), b.getInt32(4)});
  }
  Value* rcp14(Value* x) {
    Value* zero = llvm::Constant::getNullValue(vt);
    return call(
        wide ? llvm::Intrinsic::x86_avx512_rcp14_ps_512 : llvm::Intrinsic::x86_avx512_rcp14_ps_256,
        {x, zero, all()});
  }
  /// table[index] per lane for a 16-entry table: vpermps, or vpermi2ps over two halves.
  Value* perm(const float (&table)[16], Value* index) {
    auto half = [&](size_t from, size_t count) {
      return llvm::ConstantDataVector::get(b.getContext(),
                                           llvm::ArrayRef<float>(table + from, count));
    };
    if (wide) return call(llvm::Intrinsic::x86_avx512_permvar_sf_512, {half(0, 16), index});
    return call(llvm::Intrinsic::x86_avx512_vpermi2var_ps_256, {half(0, 8), index, half(8, 8)});
  }
  /// exp(x) for x >= -110 or NaN (smaller x must be clamped by the caller): x = n ln2 + r,
  /// |r| <= ln2 / 2, then scalef(exp(r), n) rounds overflow to inf and underflow to 0 or the
  /// subnormal result.
  Value* exp_core(Value* x) {
    // n = round(x / ln2) by adding and subtracting 1.5 * 2^23 (exact for |n| < 2^22, ties to
    // even): two one-uop instructions where vmulps + vrndscaleps take three.
    Value* shifted = fma(x, c(1.0 / std::log(2.0)), c(0x1.8p23));
    Value* n = b.CreateFSub(shifted, c(0x1.8p23));
    float ln2_hi = static_cast<float>(std::log(2.0));
    Value* nn = b.CreateFNeg(n);
    Value* r = fma(nn, c(ln2_hi), x);
    r = fma(nn, c(std::log(2.0) - ln2_hi), r);
    // Horner: Estrin's shorter dependency chains measured slower, as these loops run out of
    // vector ports, not latency.
    Value* p = emit_horner(b, r, kExpF32Poly);
    return scalef(p, n);
  }
  Value* exp(Value* x) { return exp_core(min(c(90), max(c(-110), x))); }

  /// e = exp(-|x|), then 1 / (1 + e) by vrcp14ps and a Newton step; e / (1 + e) below 0.
  Value* sigmoid(Value* x) {
    Value* a = b.CreateFNeg(b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x));
    Value* e = exp_core(max(c(-110), a));
    Value* d = b.CreateFAdd(c(1), e);
    Value* r = rcp14(d);
    r = fma(r, fma(b.CreateFNeg(d), r, c(1)), r);
    return b.CreateSelect(b.CreateFCmpOLT(x, c(0)), b.CreateFMul(e, r), r);  // NaN: r is NaN
  }

  /// The piece round(3.874 min(|x|, 3.95)) of erf_f32_table.inc, its coefficients gathered by
  /// vpermps.
  Value* erf(Value* x) {
    // From 3.95 on (inf included) erf is 1 in f32, which piece 15 gives at 3.95; NaN stays NaN.
    Value* a = min(c(3.95), b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x));
    // The piece round(3.874 a) in [0, 15] (3.95 * 3.874 < 15.5): adding 1.5 * 2^23 leaves the
    // rounded integer in the low mantissa bits, which are all of the index bits vpermps reads (a
    // NaN's index is some piece; t is NaN).
    Value* k = b.CreateBitCast(fma(a, c(3.874), c(0x1.8p23)), it);
    Value* t = b.CreateFSub(a, perm(kErfTableCenter, k));
    constexpr size_t kDegree = std::size(kErfTable) - 1;
    Value* p = perm(kErfTable[kDegree], k);
    for (size_t d = kDegree; d-- > 0;) p = fma(p, t, perm(kErfTable[d], k));
    const float piece0[16] = {1};  // + t in piece 0 only
    p = fma(t, perm(piece0, k), p);
    return b.CreateIntrinsic(llvm::Intrinsic::copysign, {vt}, {p, x});
  }
};

}  // namespace

bool add_vector_variant(llvm::Module& m, MathFn fn, llvm::Function& scalar) {
  if (!scalar.getReturnType()->isFloatTy() || !m.getModuleFlag("kiln.avx512")) return false;
  if (fn != MathFn::Exp && fn != MathFn::Sigmoid && fn != MathFn::Erf) return false;
  llvm::LLVMContext& ctx = m.getContext();
  std::vector<VectorVariant> variants;
  for (unsigned lanes : {8u, 16u}) {
    auto* vt = llvm::FixedVectorType::get(llvm::Type::getFloatTy(ctx), lanes);
    auto* v = llvm::Function::Create(llvm::FunctionType::get(vt, {vt}, false),
                                     llvm::GlobalValue::InternalLinkage,
                                     scalar.getName() + ".v" + std::to_string(lanes), m);
    v->setDoesNotAccessMemory();
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", v));
    Lanes l{b, m, lanes};
    Value* x = v->getArg(0);
    b.CreateRet(fn == MathFn::Exp ? l.exp(x) : fn == MathFn::Sigmoid ? l.sigmoid(x) : l.erf(x));
    variants.push_back({v, lanes, "v"});
  }
  attach_vector_variants(scalar, variants);
  return true;
}

}  // namespace kiln::codegen::llvm_backend
