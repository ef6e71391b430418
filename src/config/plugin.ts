import type { SectionView } from "./section.js";
import type { PluginConfig } from "./types.js";

/**
 * Read a `[plugin:NAME]` section: `use` is required, every other key goes raw (after
 * `$(circus.env.X)` substitution) into the plugin's config mapping.
 *
 * @throws ConfigError when `use` is missing or empty.
 */
export function pluginFromSection(view: SectionView): PluginConfig {
  const name = view.name.slice("plugin:".length).trim();
  if (name === "") view.fail(undefined, "a plugin section needs a name: [plugin:NAME]");
  const use = view.values.get("use")?.value.trim() ?? "";
  if (use === "") view.fail("use", "missing required option (the plugin to load)");
  const config: Record<string, string> = {};
  for (const [option, { value }] of view.values) if (option !== "use") config[option] = value;
  return { name, use, config, source: { file: view.file, section: view.name } };
}
