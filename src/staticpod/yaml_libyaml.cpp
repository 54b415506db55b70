// emitYaml() and parseYaml() on libyaml. go-yaml v2's emitter is a port of this emitter, so with
// the same events and settings (implicit document start and end, block collections, unicode on,
// default width 80 and indent 2) it writes the same bytes; the scalar styles are chosen here the
// way go-yaml's encoder chooses them.
#include <yaml.h>

#include <algorithm>
#include <numeric>

#include "staticpod/yaml_tree.hpp"

namespace lvscare::staticpod {
namespace {

yaml_char_t* yamlChars(const std::string& text) {
  // libyaml copies the value; its API just is not const-correct.
  return reinterpret_cast<yaml_char_t*>(const_cast<char*>(text.c_str()));
}

class Emitter {
 public:
  Emitter() {
    ok_ = yaml_emitter_initialize(&emitter_) == 1;
    if (!ok_) return;
    yaml_emitter_set_output(&emitter_, &Emitter::write, &out_);
    yaml_emitter_set_unicode(&emitter_, 1);  // go-yaml sets unicode: non-ASCII text is not escaped
  }
  ~Emitter() {
    if (ok_) yaml_emitter_delete(&emitter_);
  }
  Emitter(const Emitter&) = delete;
  Emitter& operator=(const Emitter&) = delete;

  Result<std::string> run(const YamlNode& root) {
    if (!ok_) return fail(Errc::Io, "yaml emitter: out of memory");
    yaml_event_t event;
    yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING);
    if (!emit(event)) return error();
    yaml_document_start_event_initialize(&event, nullptr, nullptr, nullptr, 1);
    if (!emit(event)) return error();
    if (!node(root)) return error();
    yaml_document_end_event_initialize(&event, 1);
    if (!emit(event)) return error();
    yaml_stream_end_event_initialize(&event);
    if (!emit(event)) return error();
    return std::move(out_);
  }

 private:
  static int write(void* data, unsigned char* buffer, size_t size) {
    static_cast<std::string*>(data)->append(reinterpret_cast<const char*>(buffer), size);
    return 1;
  }

  bool emit(yaml_event_t& event) { return yaml_emitter_emit(&emitter_, &event) == 1; }

  Failure error() const {
    const char* problem = emitter_.problem != nullptr ? emitter_.problem : "unknown error";
    return fail(Errc::Malformed, std::string("yaml emitter: ") + problem);
  }

  bool scalar(const std::string& text, yaml_scalar_style_t style) {
    yaml_event_t event;
    if (yaml_scalar_event_initialize(&event, nullptr, nullptr, yamlChars(text), static_cast<int>(text.size()), 1, 1,
                                     style) != 1) {
      return false;
    }
    return emit(event);
  }

  // encode.go stringv(): literal block for multi-line text, double quotes when a plain scalar would
  // resolve to another type, else plain (which the emitter itself turns into single quotes when the
  // text cannot be plain, e.g. "[fd00::1]:6443" or "- a").
  bool string(const std::string& text) {
    if (text.find('\n') != std::string::npos) return scalar(text, YAML_LITERAL_SCALAR_STYLE);
    return scalar(text, goYamlNeedsQuotes(text) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE);
  }

  bool node(const YamlNode& n) {
    yaml_event_t event;
    switch (n.kind) {
      case YamlNode::Kind::String: return string(n.text);
      case YamlNode::Kind::Literal: return scalar(n.text, YAML_PLAIN_SCALAR_STYLE);
      case YamlNode::Kind::Seq:
        yaml_sequence_start_event_initialize(&event, nullptr, nullptr, 1, YAML_BLOCK_SEQUENCE_STYLE);
        if (!emit(event)) return false;
        for (const auto& item : n.items) {
          if (!node(item)) return false;
        }
        yaml_sequence_end_event_initialize(&event);
        return emit(event);
      case YamlNode::Kind::Map: {
        // An empty mapping comes out as "{}": the emitter picks flow style for it, as go-yaml's does.
        yaml_mapping_start_event_initialize(&event, nullptr, nullptr, 1, YAML_BLOCK_MAPPING_STYLE);
        if (!emit(event)) return false;
        std::vector<std::size_t> order(n.entries.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
          return goYamlKeyLess(n.entries[a].key, n.entries[b].key);
        });
        for (std::size_t i : order) {
          if (!string(n.entries[i].key) || !node(n.entries[i].value)) return false;
        }
        yaml_mapping_end_event_initialize(&event);
        return emit(event);
      }
    }
    return false;
  }

  bool ok_ = false;
  yaml_emitter_t emitter_{};
  std::string out_;
};

class Parser {
 public:
  explicit Parser(std::string_view text) {
    ok_ = yaml_parser_initialize(&parser_) == 1;
    if (ok_) {
      yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    }
  }
  ~Parser() {
    if (have_) yaml_event_delete(&event_);
    if (ok_) yaml_parser_delete(&parser_);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  Result<YamlNode> run() {
    if (!ok_) return fail(Errc::Io, "yaml parser: out of memory");
    if (!expect(YAML_STREAM_START_EVENT, "stream start")) return error_;
    if (!next()) return error_;
    if (event_.type == YAML_STREAM_END_EVENT) return fail(Errc::Malformed, "yaml: empty document");
    if (event_.type != YAML_DOCUMENT_START_EVENT) return malformed("expected a document");
    if (!next()) return error_;
    auto root = node(0);
    if (!root) return root;
    if (!expect(YAML_DOCUMENT_END_EVENT, "document end")) return error_;
    if (!next()) return error_;
    if (event_.type != YAML_STREAM_END_EVENT) return malformed("more than one document");
    return root;
  }

 private:
  static constexpr int kMaxDepth = 64;

  // Reads the next event into event_ (freeing the previous one).
  bool next() {
    if (have_) yaml_event_delete(&event_);
    have_ = false;
    if (yaml_parser_parse(&parser_, &event_) != 1) {
      const char* problem = parser_.problem != nullptr ? parser_.problem : "parse error";
      error_ = fail(Errc::Malformed, "yaml: line " + std::to_string(parser_.problem_mark.line + 1) + " column " +
                                         std::to_string(parser_.problem_mark.column + 1) + ": " + problem);
      return false;
    }
    have_ = true;
    return true;
  }

  bool expect(yaml_event_type_t type, const char* what) {
    if (!next()) return false;
    if (event_.type != type) {
      error_ = malformed(std::string("expected ") + what);
      return false;
    }
    return true;
  }

  Failure malformed(const std::string& what) const {
    return fail(Errc::Malformed, "yaml: line " + std::to_string(event_.start_mark.line + 1) + ": " + what);
  }

  // Parses the node whose first event is in event_; leaves its last event in event_.
  Result<YamlNode> node(int depth) {
    if (depth > kMaxDepth) return malformed("nested too deeply");
    switch (event_.type) {
      case YAML_ALIAS_EVENT: return malformed("aliases are not supported");
      case YAML_SCALAR_EVENT: return scalar();
      case YAML_SEQUENCE_START_EVENT: {
        if (event_.data.sequence_start.anchor != nullptr) return malformed("anchors are not supported");
        YamlNode seq = YamlNode::seq();
        for (;;) {
          if (!next()) return error_;
          if (event_.type == YAML_SEQUENCE_END_EVENT) return seq;
          auto item = node(depth + 1);
          if (!item) return item;
          seq.push(std::move(*item));
        }
      }
      case YAML_MAPPING_START_EVENT: {
        if (event_.data.mapping_start.anchor != nullptr) return malformed("anchors are not supported");
        YamlNode map = YamlNode::map();
        for (;;) {
          if (!next()) return error_;
          if (event_.type == YAML_MAPPING_END_EVENT) return map;
          if (event_.type != YAML_SCALAR_EVENT) return malformed("a mapping key must be a scalar");
          std::string key(reinterpret_cast<const char*>(event_.data.scalar.value), event_.data.scalar.length);
          if (map.find(key) != nullptr) return malformed("duplicate key '" + key + "'");
          if (!next()) return error_;
          auto value = node(depth + 1);
          if (!value) return value;
          map.entries.push_back(YamlEntry{std::move(key), std::move(*value)});
        }
      }
      default: return malformed("unexpected event");
    }
  }

  Result<YamlNode> scalar() {
    const auto& s = event_.data.scalar;
    if (s.anchor != nullptr) return malformed("anchors are not supported");
    std::string text(reinterpret_cast<const char*>(s.value), s.length);
    if (s.tag != nullptr) {
      if (std::string_view(reinterpret_cast<const char*>(s.tag)) != YAML_STR_TAG) {
        return malformed("tag " + std::string(reinterpret_cast<const char*>(s.tag)) + " is not supported");
      }
      return YamlNode::string(std::move(text));
    }
    // Only a plain scalar can be something other than a string, as go-yaml v2 resolves it.
    if (s.style == YAML_PLAIN_SCALAR_STYLE && goYamlResolvesToNonString(text)) {
      return YamlNode::literal(std::move(text));
    }
    return YamlNode::string(std::move(text));
  }

  bool ok_ = false;
  bool have_ = false;
  yaml_parser_t parser_{};
  yaml_event_t event_{};
  Failure error_{Error{}};
};

}  // namespace

Result<std::string> emitYaml(const YamlNode& root) { return Emitter().run(root); }

Result<YamlNode> parseYaml(std::string_view text) { return Parser(text).run(); }

}  // namespace lvscare::staticpod
