// SPDX-License-Identifier: Apache-2.0
#include <bitsieve/io/npy.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

using bitsieve::io_error;
using bitsieve::io::npy_array;
using bitsieve::io::npy_dtype;
using bitsieve::io::parse_npy;

namespace {

// A .npy image with the given version and header text, followed by `data`. The header length
// field is written as given (so tests can make it lie).
std::string npy_bytes(int major, const std::string& header, const std::string& data, long long header_len = -1) {
  std::string out("\x93NUMPY", 6);
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  const auto len = static_cast<unsigned long long>(header_len >= 0 ? header_len : static_cast<long long>(header.size()));
  const int len_bytes = major == 1 ? 2 : 4;
  for (int i = 0; i < len_bytes; ++i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xFFU));
  return out + header + data;
}

std::string dict(const std::string& descr, const std::string& fortran, const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n";
}

template <class T>
std::string le_bytes(const std::vector<T>& v) {
  std::string out;
  for (const T x : v) {
    auto u = std::bit_cast<std::conditional_t<sizeof(T) == 8, std::uint64_t,
                                              std::conditional_t<sizeof(T) == 4, std::uint32_t,
                                                                 std::conditional_t<sizeof(T) == 2, std::uint16_t, std::uint8_t>>>>(x);
    for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xFFU));
  }
  return out;
}

template <class T>
std::string be_bytes(const std::vector<T>& v) {
  std::string out;
  for (std::size_t e = 0; e < v.size(); ++e) {
    std::string one = le_bytes(std::vector<T>{v[e]});
    std::reverse(one.begin(), one.end());
    out += one;
  }
  return out;
}

std::string error_of(const std::string& bytes) {
  try {
    (void)parse_npy(bytes);
  } catch (const io_error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// Reference half decoding by arithmetic (a different method than the bit manipulation under test).
double half_reference(std::uint16_t h) {
  const int sign = (h & 0x8000) != 0 ? -1 : 1;
  const int exp = (h >> 10) & 0x1F;
  const int mant = h & 0x3FF;
  if (exp == 31) return mant == 0 ? sign * std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  if (exp == 0) return sign * std::ldexp(static_cast<double>(mant), -24);
  return sign * std::ldexp(static_cast<double>(1024 + mant), exp - 25);
}

std::string bundled(const std::string& rel) {
  const std::string path = std::string(BITSIEVE_SOURCE_DIR) + "/examples/data/real-attention-mini/" + rel;
  if (!std::filesystem::exists(path)) FAIL("bundled test data is missing: ", path);
  return path;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("bitsieve_npy_test_" + name)).string();
}

}  // namespace

TEST_SUITE("io") {
  TEST_CASE("io/npy: round trip of every dtype through serialize_npy and parse_npy") {
    const std::vector<std::size_t> shape{2, 3};
    auto check = [&](auto sample) {
      using T = decltype(sample);
      std::vector<T> v(6);
      for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<T>(sample * static_cast<T>(i % 2 == 0 ? 1 : 0) + static_cast<T>(i));
      const npy_array a = bitsieve::io::make_npy_array(shape, v.data());
      const npy_array b = parse_npy(bitsieve::io::serialize_npy(a));
      CHECK(b.shape == shape);
      CHECK(b.dtype == bitsieve::io::npy_dtype_of<T>);
      CHECK(b.values<T>() == v);
    };
    check(1.5F);
    check(-2.25);
    check(std::int8_t{-100});
    check(std::int16_t{-30000});
    check(std::int32_t{-2000000000});
    check(std::int64_t{-9000000000000000000});
    check(std::uint8_t{200});
    check(std::uint16_t{60000});
    check(std::uint32_t{4000000000U});
    check(std::uint64_t{18000000000000000000ULL});
    const bool bools[4] = {true, false, false, true};
    const npy_array a = bitsieve::io::make_npy_array({4}, bools);
    const npy_array b = parse_npy(bitsieve::io::serialize_npy(a));
    CHECK(b.dtype == npy_dtype::boolean);
    CHECK(b.to_float() == std::vector<float>{1, 0, 0, 1});
  }

  TEST_CASE("io/npy: the writer emits a NumPy-compatible v1.0 header aligned to 64 bytes") {
    const std::vector<float> v{1, 2, 3, 4, 5, 6};
    const std::string bytes = bitsieve::io::serialize_npy(bitsieve::io::make_npy_array({2, 3}, v.data()));
    REQUIRE(bytes.size() == 128 + 24);  // 10 + 60-byte dict + newline, padded to 128
    CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
    const std::size_t hlen = static_cast<unsigned char>(bytes[8]) + 256U * static_cast<unsigned char>(bytes[9]);
    CHECK(hlen == 118);  // as NumPy writes it (see the real trace files)
    CHECK(bytes.substr(10, hlen).rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 0) == 0);
    CHECK(bytes[10 + hlen - 1] == '\n');
    CHECK(bytes.substr(128) == le_bytes(v));
    // 1-d shapes are written as 1-tuples, 0-d as ().
    const std::string one = bitsieve::io::serialize_npy(bitsieve::io::make_npy_array({3}, v.data()));
    CHECK(contains(one, "'shape': (3,), }"));
    const std::string scalar = bitsieve::io::serialize_npy(bitsieve::io::make_npy_array({}, v.data()));
    CHECK(contains(scalar, "'shape': (), }"));
    CHECK(parse_npy(scalar).element_count() == 1);
    CHECK(parse_npy(scalar).values<float>() == std::vector<float>{1});
    const std::int8_t bytes8[2] = {1, -1};
    CHECK(contains(bitsieve::io::serialize_npy(bitsieve::io::make_npy_array({2}, bytes8)), "'descr': '|i1'"));
  }

  TEST_CASE("io/npy: write_npy and read_npy round-trip through a file") {
    const std::string path = temp_path("roundtrip.npy");
    std::vector<std::int32_t> v(5 * 7);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::int32_t>(i * i) - 100;
    bitsieve::io::write_npy(path, {5, 7}, v.data());
    const npy_array a = bitsieve::io::read_npy(path);
    CHECK(a.shape == std::vector<std::size_t>{5, 7});
    CHECK(a.dtype == npy_dtype::i32);
    CHECK(a.values<std::int32_t>() == v);
    const auto f = bitsieve::io::load_npy_as_float(path, 2);
    REQUIRE(f.values.size() == v.size());
    for (std::size_t i = 0; i < v.size(); ++i) CHECK(f.values[i] == static_cast<float>(v[i]));
    std::remove(path.c_str());
    CHECK_THROWS_AS(bitsieve::io::write_npy("/nonexistent-dir/x.npy", {1}, v.data()), io_error);
  }

  TEST_CASE("io/npy: empty arrays") {
    const std::string bytes = npy_bytes(1, dict("<f4", "False", "(0, 64)"), "");
    const npy_array a = parse_npy(bytes);
    CHECK(a.shape == std::vector<std::size_t>{0, 64});
    CHECK(a.element_count() == 0);
    CHECK(a.to_float().empty());
    // A zero dimension makes the count 0 even when another dimension is huge (no overflow).
    CHECK(parse_npy(npy_bytes(1, dict("<f8", "False", "(0, 18446744073709551615)"), "")).element_count() == 0);
  }

  TEST_CASE("io/npy: versions 2.0 and 3.0 headers") {
    const std::vector<float> v{1.5F, -2.0F, 3.25F};
    for (const int major : {2, 3}) {
      const npy_array a = parse_npy(npy_bytes(major, dict("<f4", "False", "(3,)"), le_bytes(v)));
      CHECK(a.values<float>() == v);
    }
    // A long 2.0 header.
    const std::string long_header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }" + std::string(70000, ' ') + "\n";
    CHECK(parse_npy(npy_bytes(2, long_header, le_bytes(v))).values<float>() == v);
    // The writer switches to 2.0 when the header does not fit in 65535 bytes (rank 25000).
    const std::vector<std::size_t> tall(25000, 1);
    const std::string v2 = bitsieve::io::serialize_npy(bitsieve::io::make_npy_array(tall, v.data()));
    CHECK(v2[6] == 2);
    CHECK((v2.size() - 4) % 64 == 0);
    const npy_array back = parse_npy(v2);
    CHECK(back.shape == tall);
    CHECK(back.values<float>() == std::vector<float>{v[0]});
    CHECK(contains(error_of(npy_bytes(4, dict("<f4", "False", "(3,)"), le_bytes(v))), "version 4.0"));
    std::string minor = npy_bytes(1, dict("<f4", "False", "(3,)"), le_bytes(v));
    minor[7] = 1;
    CHECK(contains(error_of(minor), "version 1.1"));
  }

  TEST_CASE("io/npy: header dict variants NumPy may write") {
    const std::vector<float> v{1, 2};
    const std::vector<std::string> headers{
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",         // no trailing comma
        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,)}",  // double quotes
        "{'shape': (2,), 'fortran_order': False, 'descr': '<f4', }   \n",   // other key order
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }\n",    // Python 2 long
        "{'descr':'<f4','fortran_order':False,'shape':(2,)}",
        "{'descr': '=f4', 'fortran_order': False, 'shape': (2,)}",         // native order
    };
    for (const auto& h : headers) {
      INFO("header: ", h);
      CHECK(parse_npy(npy_bytes(1, h, le_bytes(v))).values<float>() == v);
    }
    // "(2)" in Python is the integer 2, not a tuple.
    CHECK(contains(error_of(npy_bytes(1, dict("<f4", "False", "(2)"), le_bytes(v))), "'shape' is not a tuple"));
  }

  TEST_CASE("io/npy: Fortran order is transposed into C order") {
    // A 2x3 matrix [[0,1,2],[10,11,12]] stored column-major: 0,10,1,11,2,12.
    const std::vector<float> fdata{0, 10, 1, 11, 2, 12};
    const npy_array a = parse_npy(npy_bytes(1, dict("<f4", "True", "(2, 3)"), le_bytes(fdata)));
    CHECK(a.shape == std::vector<std::size_t>{2, 3});
    CHECK(a.values<float>() == std::vector<float>{0, 1, 2, 10, 11, 12});
    // 3-d: element (i,j,k) = 100i + 10j + k, shape (2,3,4), Fortran layout = i fastest.
    std::vector<std::int16_t> f3;
    for (int k = 0; k < 4; ++k) {
      for (int j = 0; j < 3; ++j) {
        for (int i = 0; i < 2; ++i) f3.push_back(static_cast<std::int16_t>(100 * i + 10 * j + k));
      }
    }
    const npy_array b = parse_npy(npy_bytes(1, dict("<i2", "True", "(2, 3, 4)"), le_bytes(f3)));
    const auto c = b.values<std::int16_t>();
    REQUIRE(c.size() == 24);
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 3; ++j) {
        for (int k = 0; k < 4; ++k) CHECK(c[static_cast<std::size_t>(i * 12 + j * 4 + k)] == 100 * i + 10 * j + k);
      }
    }
    // 1-d Fortran is the same as C.
    CHECK(parse_npy(npy_bytes(1, dict("<f4", "True", "(3,)"), le_bytes(std::vector<float>{1, 2, 3}))).values<float>() ==
          std::vector<float>{1, 2, 3});
  }

  TEST_CASE("io/npy: big-endian data is byte-swapped") {
    const std::vector<float> f{1.5F, -1e-3F, 3.0e38F};
    CHECK(parse_npy(npy_bytes(1, dict(">f4", "False", "(3,)"), be_bytes(f))).values<float>() == f);
    const std::vector<double> d{1.0 / 3.0, -7.0};
    CHECK(parse_npy(npy_bytes(1, dict(">f8", "False", "(2,)"), be_bytes(d))).values<double>() == d);
    const std::vector<std::int16_t> s{-2, 300};
    CHECK(parse_npy(npy_bytes(1, dict(">i2", "False", "(2,)"), be_bytes(s))).values<std::int16_t>() == s);
    const std::vector<std::uint64_t> u{0x0102030405060708ULL};
    CHECK(parse_npy(npy_bytes(1, dict(">u8", "False", "(1,)"), be_bytes(u))).values<std::uint64_t>() == u);
    const std::vector<std::uint16_t> h{0x3C00, 0xC000};  // f2: 1.0, -2.0
    CHECK(parse_npy(npy_bytes(1, dict(">f2", "False", "(2,)"), be_bytes(h))).to_float() == std::vector<float>{1.0F, -2.0F});
    // Big-endian and Fortran together.
    const std::vector<std::int32_t> bf{1, 3, 2, 4};  // [[1,2],[3,4]] column-major
    CHECK(parse_npy(npy_bytes(1, dict(">i4", "True", "(2, 2)"), be_bytes(bf))).values<std::int32_t>() ==
          std::vector<std::int32_t>{1, 2, 3, 4});
    // '|' is fine for 1-byte types, not for multi-byte ones.
    CHECK(parse_npy(npy_bytes(1, dict("|u1", "False", "(1,)"), "\x07")).values<std::uint8_t>() == std::vector<std::uint8_t>{7});
    CHECK(contains(error_of(npy_bytes(1, dict("|f4", "False", "(1,)"), "abcd")), "unsupported dtype"));
  }

  TEST_CASE("io/npy: half_to_float is exact for every binary16 value") {
    for (std::uint32_t h = 0; h <= 0xFFFFU; ++h) {
      const auto hh = static_cast<std::uint16_t>(h);
      const float f = bitsieve::io::half_to_float(hh);
      const double ref = half_reference(hh);
      if (std::isnan(ref)) {
        CHECK(std::isnan(f));
        CHECK(std::signbit(f) == ((h & 0x8000U) != 0));
      } else {
        CHECK(static_cast<double>(f) == ref);
        CHECK(std::signbit(f) == ((h & 0x8000U) != 0));
        CHECK(bitsieve::io::float_to_half(f) == hh);  // exact values convert back unchanged
      }
    }
    CHECK(bitsieve::io::half_to_float(0x3C00) == 1.0F);
    CHECK(bitsieve::io::half_to_float(0x7BFF) == 65504.0F);
    CHECK(bitsieve::io::half_to_float(0x0001) == std::ldexp(1.0F, -24));  // smallest subnormal
    CHECK(bitsieve::io::half_to_float(0x0400) == std::ldexp(1.0F, -14));  // smallest normal
    CHECK(bitsieve::io::half_to_float(0x7C00) == std::numeric_limits<float>::infinity());
    CHECK(bitsieve::io::half_to_float(0xFC00) == -std::numeric_limits<float>::infinity());
  }

  TEST_CASE("io/npy: float_to_half rounds to the nearest binary16 ties to even") {
    // Reference: the finite halves sorted by value; the nearest by search.
    std::vector<std::pair<double, std::uint16_t>> halves;
    for (std::uint32_t h = 0; h < 0x7C00U; ++h) halves.emplace_back(half_reference(static_cast<std::uint16_t>(h)), static_cast<std::uint16_t>(h));
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> mag(-30.0, 17.0);
    for (int t = 0; t < 20000; ++t) {
      const float x = static_cast<float>(std::exp2(mag(rng)));
      const auto it = std::lower_bound(halves.begin(), halves.end(), std::make_pair(static_cast<double>(x), std::uint16_t{0}));
      std::uint16_t want = 0;
      const double max_half = 65504.0;
      if (static_cast<double>(x) >= max_half + 16.0) {  // halfway to 2^16 or beyond: overflow to inf
        want = 0x7C00;
      } else if (it == halves.end()) {
        want = 0x7BFF;
      } else if (it->first == static_cast<double>(x) || it == halves.begin()) {
        want = it->second;
      } else {
        const auto lo = *(it - 1);
        const double dlo = static_cast<double>(x) - lo.first;
        const double dhi = it->first - static_cast<double>(x);
        want = dlo < dhi ? lo.second : dhi < dlo ? it->second : ((lo.second & 1U) == 0 ? lo.second : it->second);
      }
      INFO("x = ", x);
      CHECK(bitsieve::io::float_to_half(x) == want);
      CHECK(bitsieve::io::float_to_half(-x) == (want | 0x8000U));
    }
    CHECK(bitsieve::io::float_to_half(1.0F + std::ldexp(1.0F, -11)) == 0x3C00);  // tie -> even (down)
    CHECK(bitsieve::io::float_to_half(1.0F + 3 * std::ldexp(1.0F, -11)) == 0x3C02);  // tie -> even (up)
    CHECK(bitsieve::io::float_to_half(65520.0F) == 0x7C00);
    CHECK(bitsieve::io::float_to_half(65519.0F) == 0x7BFF);
    CHECK(bitsieve::io::float_to_half(std::ldexp(1.0F, -25)) == 0x0000);  // tie with 0 -> even (0)
    CHECK(bitsieve::io::float_to_half(std::ldexp(1.5F, -25)) == 0x0001);
    CHECK(bitsieve::io::float_to_half(std::numeric_limits<float>::denorm_min()) == 0x0000);
    CHECK(bitsieve::io::float_to_half(-0.0F) == 0x8000);
    CHECK(std::isnan(bitsieve::io::half_to_float(bitsieve::io::float_to_half(std::numeric_limits<float>::quiet_NaN()))));
    CHECK(bitsieve::io::float_to_half(std::numeric_limits<float>::infinity()) == 0x7C00);
  }

  TEST_CASE("io/npy: load_npy_as_float converts f16 f64 and integer files") {
    const std::string path = temp_path("convert.npy");
    auto write = [&](const std::string& bytes) {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << bytes;
    };
    write(npy_bytes(1, dict("<f2", "False", "(2, 2)"),
                    le_bytes(std::vector<std::uint16_t>{0x3C00, 0x0001, 0x7C00, 0x7E00})));
    auto a = bitsieve::io::load_npy_as_float(path, 2);
    CHECK(a.shape == std::vector<std::size_t>{2, 2});
    CHECK(a.values[0] == 1.0F);
    CHECK(a.values[1] == std::ldexp(1.0F, -24));
    CHECK(std::isinf(a.values[2]));
    CHECK(std::isnan(a.values[3]));

    write(npy_bytes(1, dict("<f8", "False", "(3,)"), le_bytes(std::vector<double>{0.1, -1e30, 1e-50})));
    a = bitsieve::io::load_npy_as_float(path, 1);
    CHECK(a.values == std::vector<float>{0.1F, -1e30F, static_cast<float>(1e-50)});

    write(npy_bytes(1, dict("<f8", "False", "(1,)"), le_bytes(std::vector<double>{1e300})));
    CHECK_THROWS_AS((void)bitsieve::io::load_npy_as_float(path, 1), io_error);

    write(npy_bytes(1, dict("|i1", "False", "(3,)"), le_bytes(std::vector<std::int8_t>{-128, 0, 127})));
    CHECK(bitsieve::io::load_npy_as_float(path).values == std::vector<float>{-128, 0, 127});
    write(npy_bytes(1, dict("<u2", "False", "(1,)"), le_bytes(std::vector<std::uint16_t>{65535})));
    CHECK(bitsieve::io::load_npy_as_float(path).values == std::vector<float>{65535});
    write(npy_bytes(1, dict("<i8", "False", "(1,)"), le_bytes(std::vector<std::int64_t>{-(std::int64_t{1} << 40)})));
    CHECK(bitsieve::io::load_npy_as_float(path).values == std::vector<float>{-std::ldexp(1.0F, 40)});

    try {
      (void)bitsieve::io::load_npy_as_float(path, 2);
      FAIL("rank mismatch not detected");
    } catch (const io_error& e) {
      CHECK(contains(e.what(), path));
      CHECK(contains(e.what(), "expected rank 2"));
      CHECK(contains(e.what(), "(1,)"));
    }
    std::remove(path.c_str());
  }

  TEST_CASE("io/npy: values<T> refuses a mismatched type") {
    const std::vector<float> v{1};
    const npy_array a = bitsieve::io::make_npy_array({1}, v.data());
    CHECK_THROWS_AS((void)a.values<double>(), io_error);
    CHECK_THROWS_AS((void)a.values<std::int32_t>(), io_error);
  }

  TEST_CASE("io/npy: malformed files are rejected with a clear io_error") {
    const std::string good_data = le_bytes(std::vector<float>{1, 2, 3, 4, 5, 6});
    const std::string good = npy_bytes(1, dict("<f4", "False", "(2, 3)"), good_data);
    REQUIRE(parse_npy(good).element_count() == 6);

    SUBCASE("bad magic") {
      std::string b = good;
      b[1] = 'X';
      CHECK(contains(error_of(b), "bad magic"));
      CHECK(contains(error_of("PK\x03\x04 this is a zip file"), "bad magic"));
    }
    SUBCASE("truncated prefix") {
      CHECK(contains(error_of(""), "truncated"));
      CHECK(contains(error_of(good.substr(0, 5)), "truncated"));
      CHECK(contains(error_of(good.substr(0, 9)), "truncated"));
      CHECK(contains(error_of(npy_bytes(2, "", "").substr(0, 10)), "truncated"));
    }
    SUBCASE("truncated header / header length past the end of the file") {
      CHECK(contains(error_of(good.substr(0, 30)), "past the end"));
      CHECK(contains(error_of(npy_bytes(1, dict("<f4", "False", "(2, 3)"), good_data, 65535)), "past the end"));
      CHECK(contains(error_of(npy_bytes(2, dict("<f4", "False", "(2, 3)"), good_data, 0xFFFFFFFFLL)), "past the end"));
    }
    SUBCASE("header that is not a Python dict literal") {
      for (const std::string& h : std::vector<std::string>{"", "[1, 2]", "{'descr': '<f4' 'fortran_order': False}", "{'descr': '<f4', ",
                                  "descr=<f4", "{'descr': <f4, 'fortran_order': False, 'shape': (6,)}",
                                  "{'descr': '<f4', 'fortran_order': False, 'shape': (6,)} x",
                                  "{'descr': '<f4', 'fortran_order': false, 'shape': (6,)}",
                                  "{'descr': '<f4\n', 'fortran_order': False, 'shape': (6,)}",
                                  std::string(100, '{')}) {
        INFO("header: ", h);
        const std::string e = error_of(npy_bytes(1, h, good_data));
        CHECK(contains(e, "header"));
        CHECK(contains(e, "bitsieve::io::parse_npy"));
      }
      CHECK(contains(error_of(npy_bytes(1, "[1, 2]", good_data)), "not a valid Python dict literal"));
    }
    SUBCASE("missing, repeated and unexpected keys") {
      CHECK(contains(error_of(npy_bytes(1, "{'fortran_order': False, 'shape': (6,)}", good_data)), "missing the key 'descr'"));
      CHECK(contains(error_of(npy_bytes(1, "{'descr': '<f4', 'shape': (6,)}", good_data)), "missing the key 'fortran_order'"));
      CHECK(contains(error_of(npy_bytes(1, "{'descr': '<f4', 'fortran_order': False}", good_data)), "missing the key 'shape'"));
      CHECK(contains(error_of(npy_bytes(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", good_data)), "repeats"));
      CHECK(contains(error_of(npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", good_data)), "unexpected key 'x'"));
      CHECK(contains(error_of(npy_bytes(1, "{1: '<f4'}", good_data)), "non-string key"));
    }
    SUBCASE("unsupported dtypes") {
      CHECK(contains(error_of(npy_bytes(1, dict("<c8", "False", "(3,)"), good_data)), "unsupported dtype '<c8' (complex"));
      CHECK(contains(error_of(npy_bytes(1, dict("|O", "False", "(6,)"), good_data)), "unsupported dtype '|O' (Python objects"));
      CHECK(contains(error_of(npy_bytes(1, dict("<U2", "False", "(3,)"), good_data)), "unsupported dtype '<U2'"));
      CHECK(contains(error_of(npy_bytes(1, dict("<M8[s]", "False", "(3,)"), good_data)), "unsupported dtype"));
      CHECK(contains(error_of(npy_bytes(1, dict("<f16", "False", "(3,)"), good_data)), "unsupported dtype"));
      CHECK(contains(error_of(npy_bytes(1, dict("<f3", "False", "(3,)"), good_data)), "unsupported dtype"));
      CHECK(contains(error_of(npy_bytes(1, "{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (3,)}", good_data)),
                     "structured"));
      CHECK(contains(error_of(npy_bytes(1, "{'descr': 4, 'fortran_order': False, 'shape': (6,)}", good_data)), "'descr' is not a string"));
    }
    SUBCASE("bad shapes and fortran_order") {
      CHECK(contains(error_of(npy_bytes(1, dict("<f4", "False", "(-2, -3)"), good_data)), "negative"));
      CHECK(contains(error_of(npy_bytes(1, dict("<f4", "False", "[2, 3]"), good_data)), "not a tuple"));
      CHECK(contains(error_of(npy_bytes(1, dict("<f4", "False", "(2.0, 3)"), good_data)), "not an integer"));
      CHECK(contains(error_of(npy_bytes(1, dict("<f4", "False", "('2', 3)"), good_data)), "non-integer"));
      CHECK(contains(error_of(npy_bytes(1, dict("<f4", "0", "(2, 3)"), good_data)), "'fortran_order' is not True/False"));
      CHECK(contains(error_of(npy_bytes(1, dict("<f4", "False", "(99999999999999999999999, 1)"), good_data)), "too large"));
    }
    SUBCASE("a lying shape is caught before any allocation") {
      // Needs more data than present.
      CHECK(contains(error_of(npy_bytes(1, dict("<f4", "False", "(2, 4)"), good_data)), "needs 32 data bytes"));
      // Fewer elements than the data holds (trailing garbage).
      CHECK(contains(error_of(npy_bytes(1, dict("<f4", "False", "(5,)"), good_data)), "the file has 24"));
      // Astronomically large: 2^62 float32 elements (2^64 bytes) and a product that wraps to 0.
      CHECK(contains(error_of(npy_bytes(1, dict("<f4", "False", "(4611686018427387904,)"), good_data)), "overflows"));
      CHECK(contains(error_of(npy_bytes(1, dict("<f4", "False", "(4294967296, 4294967296)"), good_data)), "overflows"));
      CHECK(contains(error_of(npy_bytes(1, dict("|u1", "False", "(18446744073709551615, 2)"), good_data)), "overflows"));
      // Large but representable: 10^12 elements claimed (4 TB) against 24 bytes.
      CHECK(contains(error_of(npy_bytes(1, dict("<f4", "False", "(1000000, 1000000)"), good_data)), "needs 4000000000000"));
      // Truncated data.
      CHECK(contains(error_of(good.substr(0, good.size() - 1)), "the file has 23"));
    }
  }

  TEST_CASE("io/npy: read_npy rejects a lying header in a file without allocating it") {
    const std::string path = temp_path("lying.npy");
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << npy_bytes(1, dict("<f8", "False", "(1000000000, 1000000000)"), "12345678");
    }
    try {
      (void)bitsieve::io::read_npy(path);
      FAIL("no throw");
    } catch (const io_error& e) {
      CHECK(contains(e.what(), path));
      CHECK(contains(e.what(), "needs 8000000000000000000 data bytes"));
    }
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << npy_bytes(2, "{}", "", 0x7FFFFFFF);  // header length 2 GiB in a 12-byte file
    }
    CHECK_THROWS_WITH_AS((void)bitsieve::io::read_npy(path), doctest::Contains("past the end"), io_error);
    std::remove(path.c_str());
    CHECK_THROWS_WITH_AS((void)bitsieve::io::read_npy(temp_path("does_not_exist.npy")), doctest::Contains("cannot open"),
                         io_error);
  }

  TEST_CASE("io/npy: fuzzed corruptions of a valid file never crash only throw io_error") {
    const std::string good = npy_bytes(1, dict("<f4", "True", "(3, 2)"), le_bytes(std::vector<float>{1, 2, 3, 4, 5, 6}));
    std::mt19937 rng(99);
    int parsed = 0;
    for (int t = 0; t < 20000; ++t) {
      std::string b = good;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const std::size_t at = rng() % b.size();
        switch (rng() % 3) {
          case 0: b[at] = static_cast<char>(rng() & 0xFFU); break;
          case 1: b.erase(at, 1 + rng() % 8); break;
          default: b.insert(at, 1, "0123456789(),'{}:-LTF \n"[rng() % 23]); break;
        }
      }
      try {
        const npy_array a = parse_npy(b);
        CHECK(a.data.size() == a.element_count() * bitsieve::io::npy_dtype_size(a.dtype));
        ++parsed;
      } catch (const io_error&) {
      }
    }
    MESSAGE("fuzz: ", parsed, " of 20000 corruptions still parsed");
  }

  TEST_CASE("io/npy: reads the real 128x64 float32 query of the bundled trace") {
    const std::string path = bundled("qkv/gpl3_tok0000-0128/layer0_head1_q.npy");
    const npy_array a = bitsieve::io::read_npy(path);
    CHECK(a.shape == std::vector<std::size_t>{128, 64});
    CHECK(a.dtype == npy_dtype::f32);
    const auto v = a.values<float>();
    REQUIRE(v.size() == 8192);
    // Values read independently (Python struct.unpack('<f') at data offset 128).
    CHECK(v[0] == 0.3423355221748352F);
    CHECK(v[1] == 0.14631682634353638F);
    CHECK(v[5 * 64 + 7] == 1.6546939611434937F);
    CHECK(v[8191] == 1.325290560722351F);
    double sum = 0;
    for (const float x : v) sum += x;
    CHECK(sum == doctest::Approx(-625.3823517337441).epsilon(1e-12));
    const auto f = bitsieve::io::load_npy_as_float(path, 2);
    CHECK(f.values == v);
  }

  TEST_CASE("io/npy: the shared real-attention data directory is readable") {
    const std::string dir = BITSIEVE_SHARED_DATA_DIR;
    if (!std::filesystem::is_directory(dir)) {
      FAIL("the shared real-attention data is missing at ", dir,
           " (BITSIEVE_SHARED_DATA_DIR); the bundled copy in examples/data is tested separately");
    }
    const auto a = bitsieve::io::load_npy_as_float(dir + "/qkv/gpl3_tok0000-0128/layer0_head1_q.npy", 2);
    CHECK(a.shape == std::vector<std::size_t>{128, 64});
    CHECK(a.values == bitsieve::io::load_npy_as_float(bundled("qkv/gpl3_tok0000-0128/layer0_head1_q.npy"), 2).values);
  }
}
