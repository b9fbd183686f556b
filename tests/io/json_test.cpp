// SPDX-License-Identifier: Apache-2.0
#include <bitsieve/io/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

using bitsieve::io_error;
using bitsieve::io::json_value;
using bitsieve::io::parse_json;
using bitsieve::io::to_json;

namespace {

// The message of the io_error that parse_json throws for `text` ("" if it does not throw).
std::string parse_error(const std::string& text) {
  try {
    (void)parse_json(text);
  } catch (const io_error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_SUITE("io") {
  TEST_CASE("io/json: parses every kind of value") {
    const json_value v = parse_json(R"( {"n": null, "t": true, "f": false, "x": -12.5e1, "s": "hi",
                                          "a": [1, [2, {}], []], "o": {"k": "v"}} )");
    REQUIRE(v.is_object());
    CHECK(v.at("n").is_null());
    CHECK(v.at("t").as_bool() == true);
    CHECK(v.at("f").as_bool() == false);
    CHECK(v.at("x").as_number() == -125.0);
    CHECK(v.at("s").as_string() == "hi");
    REQUIRE(v.at("a").is_array());
    CHECK(v.at("a").size() == 3);
    CHECK(v.at("a").at(0).as_int() == 1);
    CHECK(v.at("a").at(1).at(1).is_object());
    CHECK(v.at("a").at(1).at(1).size() == 0);
    CHECK(v.at("a").at(2).as_array().empty());
    CHECK(v.at("o").at("k").as_string() == "v");
  }

  TEST_CASE("io/json: top-level scalars and surrounding whitespace") {
    CHECK(parse_json("42").as_number() == 42.0);
    CHECK(parse_json(" \t\r\n\"x\"\n").as_string() == "x");
    CHECK(parse_json("null").is_null());
    CHECK(parse_json("0").as_number() == 0.0);
    CHECK(std::signbit(parse_json("-0").as_number()));
  }

  TEST_CASE("io/json: objects keep insertion order") {
    const json_value v = parse_json(R"({"zeta": 1, "alpha": 2, "mid": 3})");
    const auto& o = v.as_object();
    REQUIRE(o.size() == 3);
    CHECK(o[0].first == "zeta");
    CHECK(o[1].first == "alpha");
    CHECK(o[2].first == "mid");
    CHECK(to_json(v) == R"({"zeta":1,"alpha":2,"mid":3})");
  }

  TEST_CASE("io/json: find returns a pointer or nullptr - at names the missing key") {
    const json_value v = parse_json(R"({"a": 1})");
    REQUIRE(v.find("a") != nullptr);
    CHECK(v.find("a")->as_number() == 1.0);
    CHECK(v.find("b") == nullptr);
    try {
      (void)v.at("seq_len");
      FAIL("at did not throw");
    } catch (const io_error& e) {
      CHECK(contains(e.what(), "\"seq_len\""));
      CHECK(contains(e.what(), "missing key"));
    }
    CHECK_THROWS_AS((void)v.at(std::size_t{0}), io_error);                  // not an array
    CHECK_THROWS_AS((void)parse_json("[1]").at(std::size_t{1}), io_error);  // out of range
    CHECK_THROWS_AS((void)parse_json("[1]").find("a"), io_error);           // not an object
  }

  TEST_CASE("io/json: accessors of the wrong kind throw io_error naming both kinds") {
    const json_value v = parse_json(R"("text")");
    try {
      (void)v.as_number();
      FAIL("as_number did not throw");
    } catch (const io_error& e) {
      CHECK(contains(e.what(), "expected number"));
      CHECK(contains(e.what(), "got string"));
    }
    CHECK_THROWS_AS((void)v.as_bool(), io_error);
    CHECK_THROWS_AS((void)v.as_array(), io_error);
    CHECK_THROWS_AS((void)v.as_object(), io_error);
    CHECK_THROWS_AS((void)v.size(), io_error);
    CHECK_THROWS_AS((void)parse_json("1").as_string(), io_error);
    CHECK_THROWS_AS((void)parse_json("null").as_int(), io_error);
  }

  TEST_CASE("io/json: as_int checks integrality and range") {
    CHECK(parse_json("128").as_int() == 128);
    CHECK(parse_json("-7").as_int() == -7);
    CHECK(parse_json("1e3").as_int() == 1000);
    CHECK(parse_json("9007199254740993").as_int() == 9007199254740992);  // nearest double, exact int
    CHECK(parse_json("-9223372036854775808").as_int() == std::numeric_limits<std::int64_t>::min());
    CHECK_THROWS_AS((void)parse_json("0.5").as_int(), io_error);
    CHECK_THROWS_AS((void)parse_json("12.000001").as_int(), io_error);
    CHECK_THROWS_AS((void)parse_json("9223372036854775808").as_int(), io_error);
    CHECK_THROWS_AS((void)parse_json("1e300").as_int(), io_error);
  }

  TEST_CASE("io/json: string escapes including \\u and surrogate pairs") {
    CHECK(parse_json(R"("a\"b\\c\/d\b\f\n\r\t")").as_string() == "a\"b\\c/d\b\f\n\r\t");
    CHECK(parse_json(R"("\u0041\u00e9\u20AC")").as_string() == "A\xC3\xA9\xE2\x82\xAC");
    CHECK(parse_json(R"("\ud83d\ude00")").as_string() == "\xF0\x9F\x98\x80");  // U+1F600
    CHECK(parse_json(R"("\u0000")").as_string() == std::string(1, '\0'));
    CHECK(parse_json("\"caf\xC3\xA9\"").as_string() == "caf\xC3\xA9");  // raw UTF-8 passes through
  }

  TEST_CASE("io/json: malformed input throws io_error with line and column") {
    const std::string e = parse_error("{\n  \"a\": 1,\n  \"b\": tru\n}");
    CHECK(contains(e, "line 3, column 8"));
    CHECK(contains(parse_error("[1, 2,]"), "trailing comma"));
    CHECK(contains(parse_error("[1 2]"), "line 1, column 4"));
    CHECK(contains(parse_error(""), "unexpected end"));
    CHECK(contains(parse_error("\n\n   "), "line 3, column 4"));
  }

  TEST_CASE("io/json: strictness: every non-RFC-8259 form is rejected") {
    const std::vector<std::string> bad{
        "{\"a\":1,}",       "[1,]",        "[,1]",          "{,}",            "{\"a\" 1}",
        "{a:1}",            "{'a':1}",     "'x'",           "01",             "-01",
        "1.",               ".5",          "+1",            "1e",             "1e+",
        "-",                "NaN",         "Infinity",      "-Infinity",      "nul",
        "truex",            "[1] [2]",     "// c\n1",       "/* c */ 1",      "\"\t\"",
        "\"a\nb\"",         "\"\\x41\"",   "\"\\u12\"",     "\"\\u12G4\"",    "\"\\ud800\"",
        "\"\\udc00\"",      "\"\\ud800\\u0041\"",           "\"unterminated", "[1, 2",
        "{\"a\":1",         "{\"a\":1,\"a\":2}",            "\"\xC3\"",       "\"\xFF\"",
        "\"\xC0\xAF\"",     "\"\xED\xA0\x80\"",             "1e400",          "-1e400",
        "\xEF\xBB\xBF{}"};
    for (const auto& text : bad) {
      INFO("input: ", text);
      CHECK_THROWS_AS((void)parse_json(text), io_error);
    }
  }

  TEST_CASE("io/json: underflow parses to zero overflow is an error") {
    CHECK(parse_json("1e-400").as_number() == 0.0);
    CHECK(parse_json("0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                     "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                     "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                     "000000000000000000000000000000000000000000000000000000000000000000000000000001")
              .as_number() == 0.0);
    CHECK(contains(parse_error("1e400"), "out of the double range"));
    CHECK(parse_json("1.7976931348623157e308").as_number() == std::numeric_limits<double>::max());
    CHECK(parse_json("5e-324").as_number() == std::numeric_limits<double>::denorm_min());
  }

  TEST_CASE("io/json: nesting depth limit") {
    const int limit = bitsieve::io::json_max_depth;
    const std::string ok = std::string(static_cast<std::size_t>(limit), '[') + std::string(static_cast<std::size_t>(limit), ']');
    CHECK_NOTHROW((void)parse_json(ok));
    const std::string deep =
        std::string(static_cast<std::size_t>(limit + 1), '[') + std::string(static_cast<std::size_t>(limit + 1), ']');
    CHECK(contains(parse_error(deep), "nesting deeper"));
    // Far deeper than any stack allows if recursion were unbounded: still a clean error.
    CHECK(contains(parse_error(std::string(1000000, '[')), "nesting deeper"));
    std::string objects;
    for (int i = 0; i <= limit; ++i) objects += "{\"a\":";
    CHECK(contains(parse_error(objects), "nesting deeper"));
  }

  TEST_CASE("io/json: to_json compact and indented") {
    json_value v = json_value::object();
    v.set("name", "x\"y\n\x01");
    v.set("list", json_value::array().push_back(1).push_back(true).push_back(nullptr));
    v.set("empty", json_value::object());
    v.set("none", json_value::array());
    CHECK(to_json(v) == R"({"name":"x\"y\n\u0001","list":[1,true,null],"empty":{},"none":[]})");
    CHECK(to_json(v, 2) ==
          "{\n  \"name\": \"x\\\"y\\n\\u0001\",\n  \"list\": [\n    1,\n    true,\n    null\n  ],\n"
          "  \"empty\": {},\n  \"none\": []\n}");
    v.set("name", "replaced");  // set replaces in place, keeping the position
    CHECK(v.as_object()[0].first == "name");
    CHECK(v.at("name").as_string() == "replaced");
    CHECK(v.size() == 4);
  }

  TEST_CASE("io/json: to_json output parses back to an equal value") {
    const std::string text =
        R"({"a":[1,2.5,-3e-7,{"b":"\u00e9\ud83d\ude00\\\"/"}],"c":null,"d":false,"e":"\u001f"})";
    const json_value v = parse_json(text);
    CHECK(parse_json(to_json(v)) == v);
    CHECK(parse_json(to_json(v, 4)) == v);
    CHECK(parse_json(to_json(v, 0)) == v);
  }

  TEST_CASE("io/json: numbers round-trip every double bit-exactly") {
    std::mt19937_64 rng(12345);
    std::vector<double> xs{0.1, 1.0 / 3.0, 0.125, 1e-310, 2.2250738585072014e-308, 1.7976931348623157e308,
                           -123456789.123456789, 9007199254740993.0, 1e21, 1e-7};
    std::uniform_int_distribution<std::uint64_t> bits;
    for (int i = 0; i < 2000; ++i) {
      std::uint64_t b = bits(rng);
      double x = 0;
      static_assert(sizeof x == sizeof b);
      std::memcpy(&x, &b, sizeof x);
      if (std::isfinite(x)) xs.push_back(x);
    }
    for (const double x : xs) {
      const std::string text = to_json(json_value(x));
      const double back = parse_json(text).as_number();
      INFO("x = ", text);
      CHECK(std::memcmp(&back, &x, sizeof x) == 0);
    }
  }

  TEST_CASE("io/json: to_json rejects non-finite numbers") {
    CHECK_THROWS_AS((void)to_json(json_value(std::numeric_limits<double>::quiet_NaN())), io_error);
    CHECK_THROWS_AS((void)to_json(json_value(std::numeric_limits<double>::infinity())), io_error);
    json_value nested = json_value::object();
    nested.set("a", json_value::array().push_back(-std::numeric_limits<double>::infinity()));
    CHECK_THROWS_AS((void)to_json(nested), io_error);
  }

  TEST_CASE("io/json: integer constructors and equality") {
    CHECK(json_value(std::int64_t{5}) == json_value(5.0));
    CHECK(json_value(std::size_t{7}).as_int() == 7);
    CHECK(json_value(true).is_bool());
    CHECK(json_value("s").is_string());
    CHECK(!(json_value(1) == json_value("1")));
    CHECK(json_value() == json_value(nullptr));
  }

  TEST_CASE("io/json: read_json_file reads a file and names the path on error") {
    const std::string path = "bitsieve_json_test_tmp.json";
    {
      std::ofstream out(path, std::ios::binary);
      out << "{\"k\": [1, 2]}";
    }
    CHECK(bitsieve::io::read_json_file(path).at("k").size() == 2);
    {
      std::ofstream out(path, std::ios::binary);
      out << "{\"k\": [1, 2}";
    }
    try {
      (void)bitsieve::io::read_json_file(path);
      FAIL("no throw");
    } catch (const io_error& e) {
      CHECK(contains(e.what(), path));
      CHECK(contains(e.what(), "line 1, column 12"));
    }
    std::remove(path.c_str());
    CHECK_THROWS_AS((void)bitsieve::io::read_json_file("does/not/exist.json"), io_error);
  }
}
