// The scidb header from C++: it must compile cleanly with -Wall -Werror and
// work with RAII wrappers, as a C++ user would write them.
#include "scidb.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

int passed = 0, failed = 0;

void check(bool ok, const char *what, int line) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    std::fprintf(stderr, "abi_test.cpp:%d: %s failed (last error: %s)\n", line, what,
                 scidb_last_error());
  }
}
#define CHECK(cond) check((cond), #cond, __LINE__)

struct DbDeleter {
  void operator()(scidb_db *p) const { scidb_db_free(&p); }
};
struct ValueDeleter {
  void operator()(scidb_value *p) const { scidb_value_free(&p); }
};
struct RecordsDeleter {
  void operator()(scidb_records *p) const { scidb_records_free(&p); }
};
using Db = std::unique_ptr<scidb_db, DbDeleter>;
using Value = std::unique_ptr<scidb_value, ValueDeleter>;
using Records = std::unique_ptr<scidb_records, RecordsDeleter>;

}  // namespace

int main() {
  char dir[] = "/tmp/scidb_cpp_test_XXXXXX";
  if (!mkdtemp(dir)) return 2;
  std::string path = std::string(dir) + "/cpp.duckdb";
  std::vector<const char *> keys = {"subject"};
  scidb_db *raw_db = nullptr;
  CHECK(scidb_open(path.c_str(), keys.data(), keys.size(), nullptr, &raw_db) == SCIDB_OK);
  Db db(raw_db);

  std::vector<int32_t> xs = {1, -2, 3, -4};
  uint64_t shape[2] = {2, 2};
  scidb_value *raw = nullptr;
  CHECK(scidb_value_new_array(3, shape, 2, xs.data(), xs.size() * sizeof(int32_t), 0, &raw) ==
        SCIDB_OK);
  Value v(raw);
  char rid[SCIDB_RECORD_ID_SIZE];
  CHECK(scidb_save(db.get(), "Ints", "{\"subject\": \"S01\"}", v.get(), rid) == SCIDB_OK);

  scidb_records *raw_recs = nullptr;
  CHECK(scidb_load(db.get(), "Ints", "{\"subject\": [\"S01\", \"S02\"]}", &raw_recs) == SCIDB_OK);
  Records recs(raw_recs);
  const scidb_value *loaded = nullptr;
  CHECK(scidb_records_value(recs.get(), 0, &loaded) == SCIDB_OK);
  scidb_array_view view{};
  CHECK(scidb_value_array(loaded, &view) == SCIDB_OK);
  CHECK(view.dtype == 3 && view.ndim == 2 && view.nbytes == 16);
  const int32_t *back = static_cast<const int32_t *>(view.data);
  CHECK(back[1] == -2 && back[3] == -4);
  const char *meta = nullptr;
  CHECK(scidb_records_metadata_json(recs.get(), 0, &meta) == SCIDB_OK);
  CHECK(std::string(meta) == "{\"subject\":\"S01\"}");
  int64_t version = 0;
  CHECK(scidb_records_version(recs.get(), 0, &version) == SCIDB_OK && version > 0);

  recs.reset();
  db.reset();
  std::string cmd = std::string("rm -rf ") + dir;
  if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", dir);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
