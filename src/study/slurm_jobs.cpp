#include "study/slurm_jobs.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "study/job_templates.hpp"

namespace priorbench::slurm {
namespace {

namespace fs = std::filesystem;

bool is_safe_shell_character(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_-./:=+@%,").find(c) != std::string::npos;
}

// A value that goes into an #SBATCH line or a file name: sbatch does not parse quotes there.
void require_plain(const std::string& option, const std::string& value) {
  const bool plain = std::all_of(value.begin(), value.end(), [](char c) {
    return !std::isspace(static_cast<unsigned char>(c)) && c != '\'' && c != '"' && c != '\\';
  });
  PB_REQUIRE(plain, option, " '", value, "' must not contain spaces, quotes or backslashes");
}

std::string read_text_file(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  PB_REQUIRE(in, what, " ", path, " cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The #SBATCH lines every job of a submission shares.
std::string shared_sbatch_lines(const SiteOptions& site) {
  std::string lines;
  const auto add = [&](const char* option, const std::string& value) {
    if (!value.empty()) lines += std::string("#SBATCH --") + option + "=" + value + "\n";
  };
  add("partition", site.partition);
  add("account", site.account);
  add("qos", site.qos);
  add("time", site.time_limit);
  add("mem", site.memory);
  for (const auto& line : site.extra_lines) {
    lines += (line.rfind("#SBATCH", 0) == 0 ? line : "#SBATCH " + line) + "\n";
  }
  if (!lines.empty()) lines.pop_back();
  return lines;
}

std::string site_setup(const SiteOptions& site) {
  if (site.site_file.empty()) return "";
  std::string text = read_text_file(site.site_file, "--site file");
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return "# Site set-up, copied from " + fs::absolute(site.site_file).string() + ":\n" + text;
}

std::string report_command(const StudyJobs& jobs) {
  if (jobs.report.empty()) return "";
  return shell_quote(jobs.priorbench.string()) + " report " + shell_quote(jobs.output.string()) + " -o " +
         shell_quote(jobs.report.string());
}

// The placeholders every template may use.
std::map<std::string, std::string> common_values(const StudyJobs& jobs, const SiteOptions& site,
                                                 std::string_view role) {
  std::string study_name = jobs.study_name;
  std::replace(study_name.begin(), study_name.end(), '\n', ' ');
  return {{"study_name", study_name},
          {"job_name", jobs.job_name(role)},
          {"log_dir", jobs.log_directory().string()},
          {"nodes", std::to_string(site.nodes)},
          {"tasks_per_node", std::to_string(site.tasks_per_node)},
          {"sbatch_lines", shared_sbatch_lines(site)},
          {"site_setup", site_setup(site)},
          {"work_dir", shell_quote(fs::current_path().string())},
          {"launcher", site.launcher},
          {"priorbench", shell_quote(jobs.priorbench.string())},
          {"study", shell_quote(jobs.study.string())},
          {"output", shell_quote(jobs.output.string())},
          {"shard_count", std::to_string(jobs.shard_count)},
          {"shard_prefix", shell_quote((jobs.job_directory() / "shard").string())},
          {"report_command", report_command(jobs)},
          {"run_flags", jobs.allow_dirty ? " --allow-dirty" : ""}};
}

BatchScript make_script(const StudyJobs& jobs, const SiteOptions& site, const std::string& template_directory,
                        const std::string& role, std::map<std::string, std::string> extra) {
  auto values = common_values(jobs, site, role);
  values.merge(extra);
  const std::string text = render(load_template(role, template_directory), values, role + ".sbatch.in");
  return {role, jobs.job_directory() / (role + ".sbatch"), text};
}

// Placeholder names: letters, digits and '_'.
bool is_placeholder_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(),
                                      [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

}  // namespace

StudyJobs::StudyJobs(std::string name, const fs::path& study_path, const fs::path& output_path, bool with_report,
                     const fs::path& executable, int shards)
    : study_name(std::move(name)),
      study(fs::absolute(study_path).lexically_normal()),
      output(fs::absolute(output_path).lexically_normal()),
      priorbench(executable),
      shard_count(shards) {
  PB_REQUIRE(output.extension() == ".h5", "-o ", output_path.string(), ": the results file must end in .h5");
  require_plain("-o", output.string());
  if (with_report) report = output.parent_path() / (output.stem().string() + "-report");
}

fs::path StudyJobs::job_directory() const { return output.parent_path() / (output.stem().string() + ".jobs"); }

fs::path StudyJobs::shard_file(int index) const {
  return job_directory() / ("shard-" + std::to_string(index) + "-of-" + std::to_string(shard_count) + ".h5");
}

std::vector<fs::path> StudyJobs::shard_files() const {
  std::vector<fs::path> files;
  for (int i = 0; i < shard_count; ++i) files.push_back(shard_file(i));
  return files;
}

std::string StudyJobs::job_name(std::string_view role) const {
  std::string name = "pb-" + study_name + "-" + std::string(role);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '-';
  }
  return name;
}

fs::path StudyJobs::log_file(std::string_view role, const std::string& job_id, int array_index) const {
  const std::string suffix = array_index < 0 ? job_id : job_id + "_" + std::to_string(array_index);
  return log_directory() / (job_name(role) + "-" + suffix + ".out");
}

std::string shell_quote(std::string_view word) {
  if (!word.empty() && std::all_of(word.begin(), word.end(), is_safe_shell_character)) return std::string(word);
  std::string quoted = "'";
  for (const char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string array_ranges(const std::vector<int>& indices) {
  std::string ranges;
  for (std::size_t i = 0; i < indices.size();) {
    std::size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    if (!ranges.empty()) ranges += ',';
    ranges += std::to_string(indices[i]);
    if (j > i) {
      ranges += '-';
      ranges += std::to_string(indices[j]);
    }
    i = j + 1;
  }
  return ranges;
}

std::string render(std::string_view text, const std::map<std::string, std::string>& values,
                   const std::string& template_name) {
  std::string rendered;
  std::size_t line_number = 0;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    std::string out;
    bool only_placeholders = true;
    bool all_empty = true;
    std::size_t position = 0;
    while (position < line.size()) {
      const std::size_t open = line.find("{{", position);
      const std::string literal =
          line.substr(position, open == std::string::npos ? std::string::npos : open - position);
      out += literal;
      if (literal.find_first_not_of(" \t") != std::string::npos) only_placeholders = false;
      if (open == std::string::npos) break;
      const std::size_t close = line.find("}}", open + 2);
      PB_REQUIRE(close != std::string::npos, "template ", template_name, " line ", line_number,
                 ": '{{' without a closing '}}'");
      const std::string name = line.substr(open + 2, close - open - 2);
      const auto value = values.find(name);
      PB_REQUIRE(is_placeholder_name(name) && value != values.end(), "template ", template_name, " line ", line_number,
                 ": unknown placeholder {{", name, "}} (see jobs/README.md)");
      out += value->second;
      if (!value->second.empty()) all_empty = false;
      position = close + 2;
    }
    const bool had_placeholder = line.find("{{") != std::string::npos;
    if (had_placeholder && only_placeholders && all_empty) continue;
    rendered += out + "\n";
  }
  return rendered;
}

std::string load_template(const std::string& name, const std::string& directory) {
  if (!directory.empty()) {
    return read_text_file((fs::path(directory) / (name + ".sbatch.in")).string(), "template");
  }
  const auto& builtin = builtin_job_templates();
  const auto found = builtin.find(name);
  PB_REQUIRE(found != builtin.end(), "no built-in job template '", name, "'");
  return found->second;
}

void check_site_options(const SiteOptions& site) {
  PB_REQUIRE(site.nodes >= 1, "--nodes ", site.nodes, ": must be at least 1");
  PB_REQUIRE(site.tasks_per_node >= 1, "--tasks-per-node ", site.tasks_per_node, ": must be at least 1");
  require_plain("--partition", site.partition);
  require_plain("--account", site.account);
  require_plain("--qos", site.qos);
  require_plain("--time", site.time_limit);
  require_plain("--mem", site.memory);
  for (const auto& line : site.extra_lines) {
    PB_REQUIRE(line.find('\n') == std::string::npos && !line.empty(), "--sbatch '", line,
               "': give one #SBATCH option per --sbatch, without line breaks");
    const std::string option = line.rfind("#SBATCH", 0) == 0 ? line.substr(7) : line;
    PB_REQUIRE(option.find_first_not_of(' ') != std::string::npos && option[option.find_first_not_of(' ')] == '-',
               "--sbatch '", line, "': expected an sbatch option such as --constraint=haswell");
  }
  PB_REQUIRE(site.launcher.find('\n') == std::string::npos, "--launcher '", site.launcher, "' must be a single line");
  if (!site.site_file.empty()) {
    PB_REQUIRE(fs::is_regular_file(site.site_file), "--site ", site.site_file, ": no such file");
  }
}

BatchScript run_script(const StudyJobs& jobs, const SiteOptions& site, const std::string& template_directory) {
  return make_script(jobs, site, template_directory, "run", {});
}

BatchScript shard_script(const StudyJobs& jobs, const SiteOptions& site, const std::string& template_directory) {
  return make_script(jobs, site, template_directory, "shard", {});
}

BatchScript merge_script(const StudyJobs& jobs, const SiteOptions& site, const std::string& template_directory) {
  std::string files;
  for (const auto& file : jobs.shard_files()) {
    if (!files.empty()) files += ' ';
    files += shell_quote(file.string());
  }
  return make_script(jobs, site, template_directory, "merge", {{"shard_files", files}});
}

}  // namespace priorbench::slurm
