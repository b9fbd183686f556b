// SPDX-License-Identifier: Apache-2.0
#include <bitsieve/io/sha256.hpp>
#include <bitsieve/io/trace.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>

using bitsieve::io_error;
using bitsieve::io::sha256_hex;
using bitsieve::io::trace_entry;

namespace {

std::string bundled_dir() {
  const std::string dir = std::string(BITSIEVE_SOURCE_DIR) + "/examples/data/real-attention-mini";
  if (!std::filesystem::exists(dir + "/manifest.json")) FAIL("bundled trace is missing: ", dir);
  return dir;
}

std::string shared_dir() {
  const std::string dir = BITSIEVE_SHARED_DATA_DIR;
  if (!std::filesystem::exists(dir + "/manifest.json")) {
    FAIL("the shared real-attention data is missing at ", dir, " (BITSIEVE_SHARED_DATA_DIR, set by tests/CMakeLists.txt)");
  }
  return dir;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// A scratch trace folder, removed at scope exit.
struct scratch_dir {
  std::filesystem::path path;
  explicit scratch_dir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / ("bitsieve_trace_test_" + name)) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  void write(const std::string& rel, const std::string& text) const {
    std::ofstream out(path / rel, std::ios::binary | std::ios::trunc);
    out << text;
  }
  [[nodiscard]] std::string str() const { return path.string(); }
};

void write_matrix(const scratch_dir& d, const std::string& name, std::size_t rows, std::size_t cols, float base) {
  std::vector<float> v(rows * cols);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = base + static_cast<float>(i);
  bitsieve::io::write_npy((d.path / name).string(), {rows, cols}, v.data());
}

std::string entry_json(const std::string& extra = "", const std::string& seq_len = "3") {
  return R"({"sample": "s", "layer": 0, "head": 1, "seq_len": )" + seq_len +
         R"(, "head_dim": 2, "softmax_scale": 0.5, "q": "q.npy", "k": "k.npy", "v": "v.npy")" + extra + "}";
}

std::string manifest_error(const scratch_dir& d, const std::string& manifest) {
  d.write("manifest.json", manifest);
  try {
    (void)bitsieve::io::read_trace_manifest(d.str());
  } catch (const io_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_SUITE("io") {
  TEST_CASE("io/sha256: FIPS 180-4 example vectors") {
    CHECK(sha256_hex(std::string_view("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex(std::string_view("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(sha256_hex(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }

  TEST_CASE("io/sha256: padding boundaries (lengths 55 56 63 64 65 119 120) match sha256sum") {
    const std::vector<std::pair<std::size_t, std::string>> want{
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"}};
    for (const auto& w : want) {
      INFO("length ", w.first);
      CHECK(sha256_hex(std::string(w.first, 'a')) == w.second);
    }
  }

  TEST_CASE("io/sha256: incremental updates in any split equal the one-shot digest") {
    std::string msg;
    for (int i = 0; i < 300; ++i) msg.push_back(static_cast<char>((i * 37 + 11) & 0xFF));
    const std::string one_shot = sha256_hex(msg);
    for (const std::size_t step : {1U, 3U, 63U, 64U, 65U, 200U}) {
      bitsieve::io::sha256 h;
      for (std::size_t at = 0; at < msg.size(); at += step) h.update(std::string_view(msg).substr(at, step));
      CHECK(h.finish_hex() == one_shot);
    }
    std::string flipped = msg;
    flipped[150] = static_cast<char>(flipped[150] ^ 1);
    CHECK(sha256_hex(flipped) != one_shot);
  }

  TEST_CASE("io/sha256: a real trace file matches its digest in the shared manifest") {
    const std::string dir = shared_dir();
    const auto root = bitsieve::io::read_json_file(dir + "/manifest.json");
    const auto& e = root.at("entries").at(std::size_t{1});  // gpl3_tok0000-0128 layer 0 head 1
    REQUIRE(e.at("sample").as_string() == "gpl3_tok0000-0128");
    REQUIRE(e.at("head").as_int() == 1);
    const std::string path = dir + "/" + e.at("q").as_string();
    CHECK(bitsieve::io::sha256_file_hex(path) == e.at("sha256").at("q").as_string());
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(sha256_hex(bytes) == e.at("sha256").at("q").as_string());
    CHECK_THROWS_AS((void)bitsieve::io::sha256_file_hex(dir + "/no-such-file"), io_error);
  }

  TEST_CASE("io/trace: the bundled manifest lists the 9 expected entries with absolute paths") {
    const auto entries = bitsieve::io::read_trace_manifest(bundled_dir());
    REQUIRE(entries.size() == 9);
    int windowed = 0;
    for (const trace_entry& e : entries) {
      CHECK(std::filesystem::path(e.q_path).is_absolute());
      CHECK(std::filesystem::exists(e.q_path));
      CHECK(std::filesystem::exists(e.k_path));
      CHECK(std::filesystem::exists(e.v_path));
      CHECK(e.q_sha256.size() == 64);
      if (e.sample == "gpl3_tok0000-0128") {
        ++windowed;
        CHECK(e.seq_len == 128);
        CHECK(e.kind == "native");
        CHECK(e.head_dim == (e.layer == 0 ? 64U : 128U));
        CHECK(e.value_dim == e.head_dim);
        CHECK(e.softmax_scale == doctest::Approx(1.0 / std::sqrt(static_cast<double>(e.head_dim))).epsilon(1e-6));
      }
    }
    CHECK(windowed == 8);
    const trace_entry& full = bitsieve::io::find_trace_entry(entries, "gpl3_full", 0, 1);
    CHECK(full.seq_len == 8455);
    CHECK(full.kind == "long");
    CHECK(full.softmax_scale == 0.125);
    CHECK_THROWS_WITH_AS((void)bitsieve::io::find_trace_entry(entries, "gpl3_full", 0, 2),
                         doctest::Contains("no entry for sample \"gpl3_full\" layer 0 head 2"), io_error);
  }

  TEST_CASE("io/trace: every bundled file matches the sha256 of the original manifest") {
    const auto bundled = bitsieve::io::read_trace_manifest(bundled_dir());
    for (const trace_entry& e : bundled) {
      INFO(e.sample, " layer ", e.layer, " head ", e.head);
      const bitsieve::status s = bitsieve::io::verify_trace_entry(e);
      CHECK_MESSAGE(s.ok(), s.message);
      CHECK(bitsieve::io::sha256_file_hex(e.q_path) == e.q_sha256);
      CHECK(bitsieve::io::sha256_file_hex(e.k_path) == e.k_sha256);
      CHECK(bitsieve::io::sha256_file_hex(e.v_path) == e.v_sha256);
    }
    // The bundled digests are those of the original (shared) manifest.
    const auto original = bitsieve::io::read_trace_manifest(shared_dir());
    for (const trace_entry& e : bundled) {
      const trace_entry& o = bitsieve::io::find_trace_entry(original, e.sample, e.layer, e.head);
      CHECK(o.q_sha256 == e.q_sha256);
      CHECK(o.k_sha256 == e.k_sha256);
      CHECK(o.v_sha256 == e.v_sha256);
      CHECK(o.seq_len == e.seq_len);
      CHECK(o.softmax_scale == e.softmax_scale);
    }
  }

  TEST_CASE("io/trace: load_trace_entry loads and verifies a real entry") {
    const auto entries = bitsieve::io::read_trace_manifest(bundled_dir());
    const trace_entry& e = bitsieve::io::find_trace_entry(entries, "gpl3_tok0000-0128", 1, 2);
    const auto d = bitsieve::io::load_trace_entry(e, true);
    CHECK(d.q.shape == std::vector<std::size_t>{128, 128});
    CHECK(d.k.shape == std::vector<std::size_t>{128, 128});
    CHECK(d.v.shape == std::vector<std::size_t>{128, 128});
    CHECK(d.q.values.size() == 128U * 128U);
    CHECK(d.q.values == bitsieve::io::load_npy_as_float(e.q_path, 2).values);
    bool all_finite = true;
    for (const float x : d.k.values) all_finite = all_finite && std::isfinite(x);
    CHECK(all_finite);
  }

  TEST_CASE("io/trace: load_trace_entry names the file on a shape mismatch or a bad digest") {
    scratch_dir d("load");
    write_matrix(d, "q.npy", 3, 2, 0);
    write_matrix(d, "k.npy", 3, 2, 10);
    write_matrix(d, "v.npy", 3, 5, 20);
    d.write("manifest.json", R"({"entries": [)" + entry_json(R"(, "value_dim": 5)") + "]}");
    auto entries = bitsieve::io::read_trace_manifest(d.str());
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].value_dim == 5);
    const auto data = bitsieve::io::load_trace_entry(entries[0]);
    CHECK(data.v.shape == std::vector<std::size_t>{3, 5});
    CHECK(data.k.values[0] == 10.0F);

    // Without a digest in the manifest, verification is refused.
    CHECK_THROWS_WITH_AS((void)bitsieve::io::load_trace_entry(entries[0], true), doctest::Contains("no sha256"), io_error);
    CHECK(!bitsieve::io::verify_trace_entry(entries[0]).ok());

    // K with the wrong number of rows.
    write_matrix(d, "k.npy", 4, 2, 10);
    try {
      (void)bitsieve::io::load_trace_entry(entries[0]);
      FAIL("no throw");
    } catch (const io_error& e) {
      CHECK(contains(e.what(), (d.path / "k.npy").string()));
      CHECK(contains(e.what(), "(4, 2)"));
      CHECK(contains(e.what(), "(3, 2)"));
    }
    write_matrix(d, "k.npy", 3, 2, 10);

    // Digests: correct ones pass, a wrong one names the file.
    const std::string qh = bitsieve::io::sha256_file_hex((d.path / "q.npy").string());
    const std::string kh = bitsieve::io::sha256_file_hex((d.path / "k.npy").string());
    const std::string vh = bitsieve::io::sha256_file_hex((d.path / "v.npy").string());
    d.write("manifest.json", R"({"entries": [)" +
                                 entry_json(R"(, "value_dim": 5, "sha256": {"q": ")" + qh + R"(", "k": ")" + kh +
                                            R"(", "v": ")" + vh + R"("})") +
                                 "]}");
    entries = bitsieve::io::read_trace_manifest(d.str());
    CHECK_NOTHROW((void)bitsieve::io::load_trace_entry(entries[0], true));
    CHECK(bitsieve::io::verify_trace_entry(entries[0]).ok());
    write_matrix(d, "v.npy", 3, 5, 21);  // same shape, different content
    try {
      (void)bitsieve::io::load_trace_entry(entries[0], true);
      FAIL("no throw");
    } catch (const io_error& e) {
      CHECK(contains(e.what(), (d.path / "v.npy").string()));
      CHECK(contains(e.what(), "sha256 mismatch"));
    }
    const bitsieve::status s = bitsieve::io::verify_trace_entry(entries[0]);
    CHECK(!s.ok());
    CHECK(contains(s.message, "v.npy"));
    CHECK_NOTHROW((void)bitsieve::io::load_trace_entry(entries[0], false));  // unverified load still works

    // A missing file and a corrupt file are named too.
    std::filesystem::remove(d.path / "q.npy");
    CHECK_THROWS_WITH_AS((void)bitsieve::io::load_trace_entry(entries[0]), doctest::Contains("q.npy"), io_error);
    d.write("q.npy", "not an npy file");
    CHECK_THROWS_WITH_AS((void)bitsieve::io::load_trace_entry(entries[0]), doctest::Contains("q.npy"), io_error);
  }

  TEST_CASE("io/trace: malformed manifests are rejected naming the entry and field") {
    scratch_dir d("manifest");
    CHECK(contains(manifest_error(d, "{}"), "missing key \"entries\""));
    CHECK(contains(manifest_error(d, "[]"), "not an object"));
    CHECK(contains(manifest_error(d, R"({"entries": {}})"), "not an array"));
    CHECK(contains(manifest_error(d, R"({"entries": []})"), "empty"));
    CHECK(contains(manifest_error(d, R"({"entries": [)"), "line 1"));
    CHECK(contains(manifest_error(d, R"({"entries": [1]})"), "entry 0: not an object"));
    const std::string e = manifest_error(
        d, R"({"entries": [)" + entry_json() + R"(, {"sample": "s", "layer": 0, "head": 2, "head_dim": 2}]})");
    CHECK(contains(e, "entry 1"));
    CHECK(contains(e, "\"seq_len\""));
    CHECK(contains(e, "manifest.json"));
    CHECK(contains(manifest_error(d, R"({"entries": [)" + entry_json("", "3.5") + "]}"), "not an integer"));
    CHECK(contains(manifest_error(d, R"({"entries": [)" + entry_json("", "0") + "]}"), "\"seq_len\" must be positive"));
    CHECK(contains(manifest_error(d, R"({"entries": [)" + entry_json("", "\"3\"") + "]}"), "expected number"));
    CHECK(contains(manifest_error(d, R"({"entries": [{"sample": "s", "layer": 0, "head": 1, "seq_len": 3, "head_dim": 2,
                                   "softmax_scale": -1, "q": "q", "k": "k", "v": "v"}]})"),
                   "softmax_scale"));
    CHECK(contains(manifest_error(d, R"({"entries": [{"sample": "s", "layer": 0, "head": 1, "seq_len": 3, "head_dim": 2,
                                   "softmax_scale": 0.5, "q": "", "k": "k", "v": "v"}]})"),
                   "\"q\" must be a non-empty string"));
    CHECK(contains(manifest_error(d, R"({"entries": [)" + entry_json(R"(, "sha256": {"q": "abc", "k": "", "v": ""})") + "]}"),
                   "not 64 lowercase hex"));
    CHECK(contains(manifest_error(d, R"({"entries": [)" + entry_json(R"(, "sha256": {"q": ")" + std::string(64, 'a') + R"("})") + "]}"),
                   "missing key \"k\""));
    CHECK(contains(manifest_error(d, R"({"entries": [)" + entry_json() + ", " + entry_json() + "]}"), "repeats sample"));
    CHECK(contains(manifest_error(d, R"({"entries": [)" + entry_json(R"(, "layer": -1)") + "]}"), "duplicate key"));
    std::string negative = entry_json();
    negative.replace(negative.find("\"layer\": 0"), std::string("\"layer\": 0").size(), "\"layer\": -1");
    CHECK(contains(manifest_error(d, R"({"entries": [)" + negative + "]}"), "\"layer\" out of range: -1"));
    std::filesystem::remove(d.path / "manifest.json");
    CHECK_THROWS_WITH_AS((void)bitsieve::io::read_trace_manifest(d.str()), doctest::Contains("cannot open"), io_error);
  }

  TEST_CASE("io/trace: absolute paths in a manifest are kept as they are") {
    scratch_dir d("abs");
    scratch_dir other("abs_other");
    write_matrix(other, "q.npy", 3, 2, 0);
    const std::string q_abs = (other.path / "q.npy").string();
    d.write("manifest.json", R"({"entries": [{"sample": "s", "layer": 0, "head": 1, "seq_len": 3, "head_dim": 2,
             "softmax_scale": 0.5, "q": ")" + q_abs + R"(", "k": "sub/../k.npy", "v": "v.npy"}]})");
    const auto entries = bitsieve::io::read_trace_manifest(d.str());
    CHECK(entries[0].q_path == q_abs);
    CHECK(entries[0].k_path == std::filesystem::absolute(d.path / "k.npy").lexically_normal().string());
  }
}
