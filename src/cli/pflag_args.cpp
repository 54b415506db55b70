#include "cli/pflag_args.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "cli/flag_values.hpp"
#include "lvscare/log.hpp"

namespace lvscare::cli {

std::vector<FlagSpec> flagSpecsOf(const CLI::App& app, bool withParents) {
  std::vector<FlagSpec> out;
  const auto collect = [&out](const CLI::App& from) {
    for (const CLI::Option* option : from.get_options()) {
      if (option == from.get_help_ptr() || option == from.get_help_all_ptr()) continue;
      if (option->get_lnames().empty()) continue;
      FlagSpec spec;
      spec.longName = option->get_lnames().front();
      if (!option->get_snames().empty() && option->get_snames().front().size() == 1)
        spec.shortName = option->get_snames().front()[0];
      spec.isBool = option->get_expected_min() == 0;
      out.push_back(std::move(spec));
    }
  };
  collect(app);
  for (const CLI::App* up = app.get_parent(); withParents && up != nullptr; up = up->get_parent()) collect(*up);
  return out;
}

namespace {

Failure usage(std::string message) { return fail(Errc::InvalidArgument, std::move(message)); }

class Reader {
 public:
  Reader(std::span<const std::string> args, std::span<const FlagSpec> flags, std::string_view subcommand)
      : args_(args), flags_(flags), subcommand_(subcommand) {}

  Result<PflagArgs> read() {
    while (next_ < args_.size()) {
      const std::string& word = args_[next_++];
      if (word.size() < 2 || word[0] != '-') {
        positional(word);
      } else if (word == "--") {  // the rest are positional, flags or not
        while (next_ < args_.size()) positional(args_[next_++]);
      } else if (word[1] == '-') {
        if (auto ok = longFlag(word); !ok) return passOn(ok);
      } else if (auto ok = shortFlags(word); !ok) {
        return passOn(ok);
      }
    }
    return std::move(out_);
  }

 private:
  const FlagSpec* byLong(std::string_view name) const {
    const auto it = std::find_if(flags_.begin(), flags_.end(), [&](const FlagSpec& f) { return f.longName == name; });
    return it == flags_.end() ? nullptr : &*it;
  }
  const FlagSpec* byShort(char name) const {
    const auto it = std::find_if(flags_.begin(), flags_.end(), [&](const FlagSpec& f) { return f.shortName == name; });
    return it == flags_.end() ? nullptr : &*it;
  }

  void positional(const std::string& word) {
    if (!subcommand_.empty() && word == subcommand_ && out_.positional.empty()) {  // cobra's command path
      out_.args.insert(out_.args.begin(), word);
      subcommand_ = {};
      return;
    }
    if (!lastBareBool_.empty() && parseGoBool("", word)) {
      out_.warnings.push_back(
          fmt::format("\"{}\" after {} is not its value: {} alone means true and the word is ignored, as in LVScare; "
                      "write {}={} to give a value",
                      printable(word), lastBareBool_, lastBareBool_, lastBareBool_, printable(word)));
    } else {
      out_.warnings.push_back(
          fmt::format("ignoring argument \"{}\": not a flag (LVScare ignores it too)", printable(word)));
    }
    out_.positional.push_back(word);
    lastBareBool_.clear();
  }

  // One flag occurrence, as CLI11 takes it. `spelling` is how the user wrote the flag.
  Result<void> emit(const FlagSpec& flag, std::string_view spelling, std::string value, bool bare) {
    lastBareBool_.clear();
    if (flag.isBool) {
      auto on = parseGoBool(spelling, value);
      if (!on) return passOn(on);
      out_.args.push_back(fmt::format("--{}={}", flag.longName, *on ? "true" : "false"));
      if (bare) lastBareBool_ = std::string(spelling);
      return {};
    }
    if (value.empty()) {  // CLI11 reads "--name=" as no value at all
      out_.args.push_back("--" + flag.longName);
      out_.args.emplace_back();
    } else {
      out_.args.push_back(fmt::format("--{}={}", flag.longName, value));
    }
    return {};
  }

  Result<void> longFlag(const std::string& word) {
    const std::string_view name = std::string_view(word).substr(2);
    if (name.empty() || name[0] == '-' || name[0] == '=') return usage("bad flag syntax: " + printable(word));
    const auto eq = name.find('=');
    const FlagSpec* flag = byLong(name.substr(0, eq));
    if (flag == nullptr) {  // CLI11's to refuse, or its help
      out_.args.push_back(word);
      lastBareBool_.clear();
      return {};
    }
    const std::string spelling = "--" + flag->longName;
    if (eq != std::string_view::npos) return emit(*flag, spelling, std::string(name.substr(eq + 1)), false);
    if (flag->isBool) return emit(*flag, spelling, "true", true);
    if (next_ >= args_.size()) return usage("flag needs an argument: " + spelling);
    return emit(*flag, spelling, args_[next_++], false);  // even when it starts with '-'
  }

  // "-abc": each letter a flag; a letter that takes a value takes the rest of the word, or "=..."
  // right after it, or the next word.
  Result<void> shortFlags(const std::string& word) {
    std::string_view letters = std::string_view(word).substr(1);
    if (byShort(letters[0]) == nullptr) {  // CLI11's to refuse, or -h
      out_.args.push_back(word);
      lastBareBool_.clear();
      return {};
    }
    while (!letters.empty()) {
      const FlagSpec* flag = byShort(letters[0]);
      if (flag == nullptr)
        return usage(
            fmt::format("unknown shorthand flag: '{}' in {}", printable(letters.substr(0, 1)), printable(word)));
      const std::string spelling = std::string("-") + letters[0];
      if (letters.size() > 2 && letters[1] == '=') return emit(*flag, spelling, std::string(letters.substr(2)), false);
      if (flag->isBool) {
        if (auto ok = emit(*flag, spelling, "true", letters.size() == 1); !ok) return ok;
        letters.remove_prefix(1);
        continue;
      }
      if (letters.size() > 1) return emit(*flag, spelling, std::string(letters.substr(1)), false);
      if (next_ >= args_.size()) return usage(fmt::format("flag needs an argument: '{}' in {}", letters[0], word));
      return emit(*flag, spelling, args_[next_++], false);
    }
    return {};
  }

  std::span<const std::string> args_;
  std::span<const FlagSpec> flags_;
  std::string_view subcommand_;
  std::size_t next_ = 0;
  std::string lastBareBool_;  // the boolean flag just read without "=value", if the last word was one
  PflagArgs out_;
};

}  // namespace

Result<PflagArgs> readPflagArgs(std::span<const std::string> args, std::span<const FlagSpec> flags,
                                std::string_view subcommand) {
  return Reader(args, flags, subcommand).read();
}

}  // namespace lvscare::cli
