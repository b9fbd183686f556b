// SPDX-License-Identifier: Apache-2.0
#include <bitsieve/io/trace.hpp>
#include <bitsieve/kernel/reference.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

using bitsieve::dense_attention_reference;
using bitsieve::dense_attention_reference_row;

namespace {

std::vector<float> random_matrix(std::size_t rows, std::size_t cols, std::mt19937& rng, float spread = 1.0F) {
  std::normal_distribution<float> nd(0.0F, spread);
  std::vector<float> m(rows * cols);
  for (float& x : m) x = nd(rng);
  return m;
}

std::string bundled_dir() {
  const std::string dir = std::string(BITSIEVE_SOURCE_DIR) + "/examples/data/real-attention-mini";
  if (!std::filesystem::exists(dir + "/manifest.json")) FAIL("bundled trace is missing: ", dir);
  return dir;
}

// Independent recomputation for the real-trace test, organised differently from the library:
// logits by accumulating over the dimension in the outer loop (K^T access), the softmax through
// log-sum-exp, and the output as an unnormalised sum divided at the end.
std::vector<double> attention_by_columns(const std::vector<float>& q, const std::vector<float>& k,
                                         const std::vector<float>& v, std::size_t n, std::size_t d, std::size_t dv,
                                         double scale, std::vector<double>& probs) {
  std::vector<double> out(n * dv, 0.0);
  probs.assign(n * n, 0.0);
  std::vector<double> logits(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::fill(logits.begin(), logits.end(), 0.0);
    for (std::size_t t = 0; t < d; ++t) {
      const double qt = static_cast<double>(q[i * d + t]) * scale;  // scale folded into q
      for (std::size_t j = 0; j < n; ++j) logits[j] += qt * static_cast<double>(k[j * d + t]);
    }
    const double m = *std::max_element(logits.begin(), logits.end());
    double z = 0.0;
    for (std::size_t j = 0; j < n; ++j) z += std::exp(logits[j] - m);
    const double lse = m + std::log(z);
    std::vector<double> acc(dv, 0.0);
    double wsum = 0.0;
    for (std::size_t j = n; j-- > 0;) {  // reverse key order
      const double w = std::exp(logits[j] - m);
      wsum += w;
      for (std::size_t c = 0; c < dv; ++c) acc[c] += w * static_cast<double>(v[j * dv + c]);
      probs[i * n + j] = std::exp(logits[j] - lse);
    }
    for (std::size_t c = 0; c < dv; ++c) out[i * dv + c] = acc[c] / wsum;
  }
  return out;
}

}  // namespace

TEST_SUITE("reference") {
  TEST_CASE("reference/dense: two keys give the logistic of the logit gap") {
    // d = 2, q = (1, 0); k0 = (2, 0), k1 = (0, 5): logits scale*2 and 0.
    const std::vector<float> q{1, 0};
    const std::vector<float> k{2, 0, 0, 5};
    const std::vector<float> v{1, 0, 0, 1};  // v0 = e0, v1 = e1: out = (p0, p1)
    for (const double scale : {1.0, 0.5, 0.125}) {
      const auto r = dense_attention_reference(q, k, v, 1, 2, 2, 2, scale, false, true);
      const double p0 = 1.0 / (1.0 + std::exp(-2.0 * scale));
      CHECK(r.probabilities[0] == doctest::Approx(p0).epsilon(1e-15));
      CHECK(r.probabilities[1] == doctest::Approx(1.0 - p0).epsilon(1e-15));
      CHECK(r.out[0] == doctest::Approx(p0).epsilon(1e-15));
      CHECK(r.out[1] == doctest::Approx(1.0 - p0).epsilon(1e-15));
    }
    // Three keys with logits ln 1, ln 2, ln 5 (scale 1): probabilities 1/8, 2/8, 5/8.
    const std::vector<double> q3{1};
    const std::vector<double> k3{0, std::log(2.0), std::log(5.0)};
    const std::vector<double> v3{8, 16, -8};
    const auto r3 = dense_attention_reference(q3, k3, v3, 1, 3, 1, 1, 1.0, false, true);
    CHECK(r3.probabilities[0] == doctest::Approx(0.125).epsilon(1e-14));
    CHECK(r3.probabilities[1] == doctest::Approx(0.25).epsilon(1e-14));
    CHECK(r3.probabilities[2] == doctest::Approx(0.625).epsilon(1e-14));
    CHECK(r3.out[0] == doctest::Approx(1.0 + 4.0 - 5.0).epsilon(1e-12).scale(1.0));
  }

  TEST_CASE("reference/dense: one key returns its value row and equal logits average the values") {
    const std::vector<float> q{0.3F, -0.7F};
    const std::vector<float> k1{1.5F, 2.5F};
    const std::vector<float> v1{4, -2, 9};
    const auto r = dense_attention_reference(q, k1, v1, 1, 1, 2, 3, 0.5, false, true);
    CHECK(r.out == std::vector<double>{4, -2, 9});
    CHECK(r.probabilities == std::vector<double>{1.0});
    const std::vector<float> k4(8, 1.0F);  // four identical keys
    const std::vector<float> v4{1, 2, 3, 4};
    const auto r4 = dense_attention_reference(q, k4, v4, 1, 4, 2, 1, 1.0, false);
    CHECK(r4.out[0] == doctest::Approx(2.5).epsilon(1e-15));
    CHECK(r4.probabilities.empty());  // not requested
  }

  TEST_CASE("reference/dense: causal row i sees keys 0 .. n_k - n_q + i") {
    std::mt19937 rng(3);
    const std::size_t n_q = 3, n_k = 5, d = 4, dv = 2;
    const auto q = random_matrix(n_q, d, rng);
    const auto k = random_matrix(n_k, d, rng);
    const auto v = random_matrix(n_k, dv, rng);
    const auto causal = dense_attention_reference(q, k, v, n_q, n_k, d, dv, 0.5, true, true);
    for (std::size_t i = 0; i < n_q; ++i) {
      const std::size_t visible = n_k - n_q + i + 1;
      CHECK(bitsieve::reference_visible_keys(n_q, n_k, true, i) == visible);
      double mass = 0.0;
      for (std::size_t j = 0; j < n_k; ++j) {
        const double p = causal.probabilities[i * n_k + j];
        if (j < visible) {
          CHECK(p > 0.0);
        } else {
          CHECK(p == 0.0);
        }
        mass += p;
      }
      CHECK(mass == doctest::Approx(1.0).epsilon(1e-14));
      // The same row without a mask on the first `visible` keys only.
      const std::vector<float> qi(q.begin() + static_cast<std::ptrdiff_t>(i * d), q.begin() + static_cast<std::ptrdiff_t>((i + 1) * d));
      const std::vector<float> kt(k.begin(), k.begin() + static_cast<std::ptrdiff_t>(visible * d));
      const std::vector<float> vt(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(visible * dv));
      const auto cut = dense_attention_reference(qi, kt, vt, 1, visible, d, dv, 0.5, false);
      for (std::size_t c = 0; c < dv; ++c) CHECK(causal.out[i * dv + c] == doctest::Approx(cut.out[c]).epsilon(1e-14));
    }
    // Square causal: row 0 sees only key 0, so its output is v0.
    const auto sq = dense_attention_reference(k, k, v, n_k, n_k, d, dv, 1.0, true);
    CHECK(sq.out[0] == static_cast<double>(v[0]));
    CHECK(sq.out[1] == static_cast<double>(v[1]));
    // The last causal row equals the unmasked row.
    const auto full = dense_attention_reference(q, k, v, n_q, n_k, d, dv, 0.5, false);
    CHECK(causal.out[(n_q - 1) * dv] == doctest::Approx(full.out[(n_q - 1) * dv]).epsilon(1e-15));
    CHECK(full.out[0] != doctest::Approx(causal.out[0]).epsilon(1e-6));  // row 0 differs when masked
    CHECK_THROWS_AS((void)dense_attention_reference(k, q, v, n_k, n_q, d, dv, 1.0, true), bitsieve::invalid_argument);
  }

  TEST_CASE("reference/dense: adding a constant to every logit of a row changes nothing") {
    std::mt19937 rng(11);
    const std::size_t n_q = 4, n_k = 9, d = 6, dv = 3;
    const auto q = random_matrix(n_q, d, rng);
    const auto k = random_matrix(n_k, d, rng);
    const auto v = random_matrix(n_k, dv, rng);
    const auto base = dense_attention_reference(q, k, v, n_q, n_k, d, dv, 0.7, false, true);
    // One extra dimension: q gets 1 there, every key gets c, so each logit shifts by 0.7 * c.
    for (const float c : {3.0F, -250.0F, 2000.0F}) {
      std::vector<float> q2, k2;
      for (std::size_t i = 0; i < n_q; ++i) {
        q2.insert(q2.end(), q.begin() + static_cast<std::ptrdiff_t>(i * d), q.begin() + static_cast<std::ptrdiff_t>((i + 1) * d));
        q2.push_back(1.0F);
      }
      for (std::size_t j = 0; j < n_k; ++j) {
        k2.insert(k2.end(), k.begin() + static_cast<std::ptrdiff_t>(j * d), k.begin() + static_cast<std::ptrdiff_t>((j + 1) * d));
        k2.push_back(c);
      }
      const auto shifted = dense_attention_reference(q2, k2, v, n_q, n_k, d + 1, dv, 0.7, false, true);
      INFO("c = ", c);
      for (std::size_t i = 0; i < base.out.size(); ++i) CHECK(shifted.out[i] == doctest::Approx(base.out[i]).epsilon(1e-9));
      for (std::size_t i = 0; i < base.probabilities.size(); ++i) {
        CHECK(shifted.probabilities[i] == doctest::Approx(base.probabilities[i]).epsilon(1e-9));
      }
      bool finite = true;
      for (const double x : shifted.out) finite = finite && std::isfinite(x);
      CHECK(finite);  // logits near 1400 would overflow exp without the max subtraction
    }
  }

  TEST_CASE("reference/dense: huge logit gaps give a one-hot row without NaN") {
    const std::vector<float> q{1000};
    const std::vector<float> k{1, 3, 2};
    const std::vector<float> v{10, 20, 30};
    const auto r = dense_attention_reference(q, k, v, 1, 3, 1, 1, 1.0, false, true);
    CHECK(r.probabilities == std::vector<double>{0.0, 1.0, 0.0});  // exp(-1000) underflows to 0
    CHECK(r.out[0] == 20.0);
  }

  TEST_CASE("reference/dense: row helper matches the full computation") {
    std::mt19937 rng(5);
    const std::size_t n_q = 6, n_k = 10, d = 8, dv = 5;
    const auto q = random_matrix(n_q, d, rng, 2.0F);
    const auto k = random_matrix(n_k, d, rng, 2.0F);
    const auto v = random_matrix(n_k, dv, rng);
    for (const bool causal : {false, true}) {
      const auto all = dense_attention_reference(q, k, v, n_q, n_k, d, dv, 0.35, causal, true);
      for (std::size_t i = 0; i < n_q; ++i) {
        const auto row = dense_attention_reference_row(q, k, v, n_q, n_k, d, dv, 0.35, causal, i);
        CHECK(row.visible == (causal ? n_k - n_q + i + 1 : n_k));
        REQUIRE(row.probabilities.size() == n_k);
        for (std::size_t j = 0; j < n_k; ++j) CHECK(row.probabilities[j] == all.probabilities[i * n_k + j]);
        for (std::size_t c = 0; c < dv; ++c) CHECK(row.out[c] == all.out[i * dv + c]);
        const auto best = std::max_element(row.probabilities.begin(), row.probabilities.end());
        CHECK(row.top1 == static_cast<std::size_t>(best - row.probabilities.begin()));
        double max_logit = -1e300;
        for (std::size_t j = 0; j < row.visible; ++j) {
          double dot = 0;
          for (std::size_t t = 0; t < d; ++t) dot += static_cast<double>(q[i * d + t]) * static_cast<double>(k[j * d + t]);
          max_logit = std::max(max_logit, 0.35 * dot);
        }
        CHECK(row.max_logit == doctest::Approx(max_logit).epsilon(1e-14));
      }
    }
    CHECK_THROWS_AS((void)dense_attention_reference_row(q, k, v, n_q, n_k, d, dv, 0.35, false, n_q), bitsieve::invalid_argument);
    const std::vector<double> qd(q.begin(), q.end()), kd(k.begin(), k.end()), vd(v.begin(), v.end());
    const auto from_double = dense_attention_reference(qd, kd, vd, n_q, n_k, d, dv, 0.35, false);
    const auto from_float = dense_attention_reference(q, k, v, n_q, n_k, d, dv, 0.35, false);
    CHECK(from_double.out == from_float.out);  // floats widen exactly, so the double path is the same
  }

  TEST_CASE("reference/dense: invalid shapes sizes and scales throw invalid_argument") {
    const std::vector<float> q(4, 0.5F), k(6, 0.25F), v(9, 1.0F);  // n_q 2, n_k 3, d 2, d_v 3
    CHECK_NOTHROW((void)dense_attention_reference(q, k, v, 2, 3, 2, 3, 1.0, false));
    CHECK_THROWS_WITH_AS((void)dense_attention_reference(q, k, v, 3, 3, 2, 3, 1.0, false),
                         doctest::Contains("q has 4 elements, expected n_q * d"), bitsieve::invalid_argument);
    CHECK_THROWS_WITH_AS((void)dense_attention_reference(q, k, v, 2, 3, 2, 2, 1.0, false),
                         doctest::Contains("v has 9 elements"), bitsieve::invalid_argument);
    CHECK_THROWS_WITH_AS((void)dense_attention_reference(q, k, v, 2, 2, 2, 3, 1.0, false),
                         doctest::Contains("k has 6 elements"), bitsieve::invalid_argument);
    CHECK_THROWS_WITH_AS((void)dense_attention_reference(std::vector<float>{}, std::vector<float>{}, std::vector<float>{}, 0, 0, 2,
                                                         3, 1.0, false),
                         doctest::Contains("empty input"), bitsieve::invalid_argument);
    CHECK_THROWS_AS((void)dense_attention_reference(q, k, v, 2, 3, 0, 3, 1.0, false), bitsieve::invalid_argument);
    for (const double bad : {0.0, -0.125, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
      CHECK_THROWS_WITH_AS((void)dense_attention_reference(q, k, v, 2, 3, 2, 3, bad, false), doctest::Contains("scale"),
                           bitsieve::invalid_argument);
    }
    // Overflowing dimensions are a size mismatch, not a wrap-around.
    const std::size_t huge = std::numeric_limits<std::size_t>::max() / 2 + 1;
    CHECK_THROWS_AS((void)dense_attention_reference(q, k, v, 2, 3, huge, 3, 1.0, false), bitsieve::invalid_argument);
  }

  TEST_CASE("reference/dense: NaN or Inf in any input throws domain_error naming it") {
    const std::vector<float> good_q(4, 0.5F), good_k(6, 0.25F), good_v(9, 1.0F);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    auto q = good_q;
    q[3] = nan;
    CHECK_THROWS_WITH_AS((void)dense_attention_reference(q, good_k, good_v, 2, 3, 2, 3, 1.0, false),
                         doctest::Contains("q[3] is NaN"), bitsieve::domain_error);
    auto k = good_k;
    k[0] = -inf;
    CHECK_THROWS_WITH_AS((void)dense_attention_reference(good_q, k, good_v, 2, 3, 2, 3, 1.0, false),
                         doctest::Contains("k[0] is infinite"), bitsieve::domain_error);
    auto v = good_v;
    v[8] = inf;
    CHECK_THROWS_WITH_AS((void)dense_attention_reference_row(good_q, good_k, v, 2, 3, 2, 3, 1.0, false, 0),
                         doctest::Contains("v[8] is infinite"), bitsieve::domain_error);
    // The row form checks what its row reads: q row 1 (elements 2..3), and under a causal mask
    // only the visible keys.
    CHECK_THROWS_WITH_AS((void)dense_attention_reference_row(q, good_k, good_v, 2, 3, 2, 3, 1.0, false, 1),
                         doctest::Contains("q[3] is NaN"), bitsieve::domain_error);
    CHECK_NOTHROW((void)dense_attention_reference_row(q, good_k, good_v, 2, 3, 2, 3, 1.0, false, 0));
    auto k_last = good_k;
    k_last[5] = nan;  // key 2, seen by causal row 1 only
    CHECK_NOTHROW((void)dense_attention_reference_row(good_q, k_last, good_v, 2, 3, 2, 3, 1.0, true, 0));
    CHECK_THROWS_WITH_AS((void)dense_attention_reference_row(good_q, k_last, good_v, 2, 3, 2, 3, 1.0, true, 1),
                         doctest::Contains("k[5] is NaN"), bitsieve::domain_error);
    CHECK_THROWS_AS((void)dense_attention_reference(good_q, k_last, good_v, 2, 3, 2, 3, 1.0, true), bitsieve::domain_error);
  }

  TEST_CASE("reference/dense: the real 128-token trace matches an independent float64 recomputation") {
    const auto entries = bitsieve::io::read_trace_manifest(bundled_dir());
    for (const int layer : {0, 1}) {
      const auto& e = bitsieve::io::find_trace_entry(entries, "gpl3_tok0000-0128", layer, 1);
      const auto t = bitsieve::io::load_trace_entry(e);
      const std::size_t n = e.seq_len, d = e.head_dim, dv = e.value_dim;
      const auto r = dense_attention_reference(t.q.values, t.k.values, t.v.values, n, n, d, dv, e.softmax_scale, false, true);
      std::vector<double> probs;
      const auto want = attention_by_columns(t.q.values, t.k.values, t.v.values, n, d, dv, e.softmax_scale, probs);
      double max_out = 0.0, max_err = 0.0, max_perr = 0.0;
      for (std::size_t i = 0; i < want.size(); ++i) {
        max_out = std::max(max_out, std::fabs(want[i]));
        max_err = std::max(max_err, std::fabs(r.out[i] - want[i]));
      }
      for (std::size_t i = 0; i < probs.size(); ++i) max_perr = std::max(max_perr, std::fabs(r.probabilities[i] - probs[i]));
      INFO("layer ", layer, ": max |out| ", max_out, ", max out error ", max_err, ", max prob error ", max_perr);
      CHECK(max_out > 0.1);
      CHECK(max_err <= 1e-12 * max_out);
      CHECK(max_perr <= 1e-13);
      // Each probability row sums to 1.
      for (std::size_t i = 0; i < n; ++i) {
        const double s = std::accumulate(r.probabilities.begin() + static_cast<std::ptrdiff_t>(i * n),
                                         r.probabilities.begin() + static_cast<std::ptrdiff_t>((i + 1) * n), 0.0);
        CHECK(s == doctest::Approx(1.0).epsilon(1e-13));
      }
    }
  }

  TEST_CASE("reference/dense: layer-0 head 1 of the real trace is as sharp as its provenance README says") {
    // data/real-attention/README.md: native layer-0 heads 1-3 need 2-4% of the keys to cover 90% of
    // the probability mass (averaged over query rows). A wrong scale or a transposed K breaks this.
    const auto entries = bitsieve::io::read_trace_manifest(bundled_dir());
    const auto& e = bitsieve::io::find_trace_entry(entries, "gpl3_tok0000-0128", 0, 1);
    const auto t = bitsieve::io::load_trace_entry(e);
    const std::size_t n = e.seq_len;
    const auto r = dense_attention_reference(t.q.values, t.k.values, t.v.values, n, n, e.head_dim, e.value_dim,
                                             e.softmax_scale, false, true);
    double share = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<double> p(r.probabilities.begin() + static_cast<std::ptrdiff_t>(i * n),
                            r.probabilities.begin() + static_cast<std::ptrdiff_t>((i + 1) * n));
      std::sort(p.rbegin(), p.rend());
      double mass = 0.0;
      std::size_t used = 0;
      while (mass < 0.9) mass += p[used++];
      share += static_cast<double>(used) / static_cast<double>(n);
    }
    share /= static_cast<double>(n);
    MESSAGE("mean share of keys covering 90% of the mass: ", share);
    CHECK(share >= 0.02);
    CHECK(share <= 0.04);
  }
}
