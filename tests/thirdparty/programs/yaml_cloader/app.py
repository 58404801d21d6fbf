"""PyYAML with its C extension (libyaml inside): yaml.CLoader and yaml.CDumper named
explicitly, so a missing _yaml fails instead of falling back to pure Python."""

import yaml

DOCUMENT = """
defaults: &defaults
  retries: 3
  tags: [a, b]
service:
  <<: *defaults
  name: grüße ✓
  when: 2024-03-01
  ratio: 0.25
  enabled: yes
"""


def main() -> None:
    print("with libyaml", yaml.__with_libyaml__)
    data = yaml.load(DOCUMENT, Loader=yaml.CLoader)
    print("loaded", data)
    print("dumped", yaml.dump(data, Dumper=yaml.CDumper, sort_keys=True, allow_unicode=True),
          end="")
    try:
        yaml.load("key: [unclosed", Loader=yaml.CLoader)
    except yaml.YAMLError as exc:
        print("error", type(exc).__name__, str(exc).replace("\n", " | "))
    print("all", list(yaml.load_all("--- 1\n--- two\n", Loader=yaml.CSafeLoader)))


if __name__ == "__main__":
    main()
