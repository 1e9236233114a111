import { readRootValue, setRootKey, setTableKeys, TomlEditConflict } from '../../cli/toml-edit';
import { scanToml, TomlSyntaxError, tomlString } from '../../cli/toml-scan';

const PROVIDER = ['model_providers', 'tailgate'];
const SET = {
  set: [
    ['base_url', '"http://ai/v1"'],
    ['wire_api', '"responses"'],
  ] as Array<[string, string]>,
};

describe('scanToml', () => {
  it('covers the whole text with statements and finds value spans', () => {
    const text = 'a = 1 # one\n\n# note\n[t]\n"quoted.key" = \'x\'\nb.c = [1,\n  2, # two\n]\n';
    const statements = scanToml(text);
    expect(statements.map((s) => s.kind)).toEqual(['keyvalue', 'blank', 'comment', 'table', 'keyvalue', 'keyvalue']);
    expect(statements.map((s) => text.slice(s.start, s.end)).join('')).toBe(text);
    expect(statements[0].key).toEqual(['a']);
    expect(text.slice(statements[0].valueStart, statements[0].valueEnd)).toBe('1');
    expect(statements[4].key).toEqual(['quoted.key']);
    expect(statements[5].key).toEqual(['b', 'c']);
    expect(text.slice(statements[5].valueStart, statements[5].valueEnd)).toBe('[1,\n  2, # two\n]');
  });

  it('is not fooled by header-like lines inside multi-line strings and arrays', () => {
    const text = [
      'instructions = """',
      '[model_providers.tailgate]',
      'model_provider = "x" \\"""',
      '"""',
      "literal = '''",
      '[profiles.x]',
      "'''",
      'args = [',
      '  ["nested"]',
      ']',
      'date = 1979-05-27 07:32:00Z # a local date-time has a space',
      'inline = { a = 1, b = { c = "}" } }',
      '[real]',
      '',
    ].join('\n');
    const statements = scanToml(text);
    expect(statements.filter((s) => s.kind === 'table').map((s) => s.key)).toEqual([['real']]);
    const date = statements.find((s) => s.key[0] === 'date');
    expect(text.slice(date!.valueStart, date!.valueEnd)).toBe('1979-05-27 07:32:00Z');
  });

  it('reports the line of a syntax error', () => {
    expect(() => scanToml('a = 1\nb = "unterminated\n')).toThrow(new TomlSyntaxError('unterminated string', 2));
    expect(() => scanToml('a = 1\n[t\n')).toThrow(TomlSyntaxError);
    expect(() => scanToml('a = 1 2\n')).not.toThrow(); // the scanner does not validate scalar values
    expect(() => scanToml('a = "x" y\n')).toThrow(/line 1/);
  });

  it('handles CRLF and a missing final newline', () => {
    const text = 'a = 1\r\n[t]\r\nb = 2';
    const statements = scanToml(text);
    expect(statements.map((s) => s.kind)).toEqual(['keyvalue', 'table', 'keyvalue']);
    expect(statements[2].end).toBe(text.length);
  });
});

describe('tomlString', () => {
  it('escapes quotes, backslashes and control characters', () => {
    expect(tomlString('a"b\\c\nd\u0001')).toBe('"a\\"b\\\\c\\nd\\u0001"');
  });
});

describe('setRootKey', () => {
  it('replaces an existing value in place, keeping spacing and comment', () => {
    const text = '# top\nmodel  =  "gpt"\nmodel_provider   = "openai"   # was openai\n\n[x]\ny = 1\n';
    expect(setRootKey(text, 'model_provider', '"tailgate"')).toBe(
      '# top\nmodel  =  "gpt"\nmodel_provider   = "tailgate"   # was openai\n\n[x]\ny = 1\n',
    );
  });

  it('returns the same text when the value is already set', () => {
    const text = 'model_provider = "tailgate"\n';
    expect(setRootKey(text, 'model_provider', '"tailgate"')).toBe(text);
  });

  it('adds a missing key after the last root key, before the first table', () => {
    const text = 'model = "gpt"\n\n# profiles\n[profiles.a]\nmodel_provider = "openai"\n';
    expect(setRootKey(text, 'model_provider', '"tailgate"', ['why'])).toBe(
      'model = "gpt"\n# why\nmodel_provider = "tailgate"\n\n# profiles\n[profiles.a]\nmodel_provider = "openai"\n',
    );
  });

  it('adds a missing key at the top when the root table is empty', () => {
    expect(setRootKey('[t]\na = 1\n', 'k', '1')).toBe('k = 1\n\n[t]\na = 1\n');
    expect(setRootKey('', 'k', '1')).toBe('k = 1\n');
  });

  it('keeps CRLF line endings and handles a file without a final newline', () => {
    expect(setRootKey('a = 1\r\n[t]\r\n', 'k', '2')).toBe('a = 1\r\nk = 2\r\n[t]\r\n');
    expect(setRootKey('a = 1', 'k', '2')).toBe('a = 1\nk = 2\n');
  });

  it('refuses when the key is a table', () => {
    expect(() => setRootKey('[model_provider]\na = 1\n', 'model_provider', '"x"')).toThrow(TomlEditConflict);
  });

  it('reads root values but not values inside tables', () => {
    expect(readRootValue('profile = "fast" # c\n[p]\nq = 1\n', 'profile')).toBe('"fast"');
    expect(readRootValue('[p]\nprofile = "x"\n', 'profile')).toBeUndefined();
  });
});

describe('setTableKeys', () => {
  it('appends a missing table at the end, separated by a blank line', () => {
    expect(setTableKeys('a = 1\n', PROVIDER, { ...SET, comment: ['hi'] })).toBe(
      'a = 1\n\n# hi\n[model_providers.tailgate]\nbase_url = "http://ai/v1"\nwire_api = "responses"\n',
    );
    expect(setTableKeys('a = 1', PROVIDER, SET)).toBe(
      'a = 1\n\n[model_providers.tailgate]\nbase_url = "http://ai/v1"\nwire_api = "responses"\n',
    );
    expect(setTableKeys('', PROVIDER, SET)).toBe('[model_providers.tailgate]\nbase_url = "http://ai/v1"\nwire_api = "responses"\n');
  });

  it('updates, adds and removes keys in an existing table, leaving its other keys and sub-tables', () => {
    const text = [
      '[model_providers."tailgate"]  # mine',
      '  name = "Old"',
      '  base_url = "http://old/v1" # old',
      '  env_key = "TAILGATE_KEY"',
      '  stream_idle_timeout_ms = 600000',
      '',
      '[model_providers.tailgate.http_headers]',
      'X-Team = "infra"',
      '',
    ].join('\n');
    expect(setTableKeys(text, PROVIDER, { ...SET, remove: ['env_key'] })).toBe(
      [
        '[model_providers."tailgate"]  # mine',
        '  name = "Old"',
        '  base_url = "http://ai/v1" # old',
        '  stream_idle_timeout_ms = 600000',
        '  wire_api = "responses"',
        '',
        '[model_providers.tailgate.http_headers]',
        'X-Team = "infra"',
        '',
      ].join('\n'),
    );
  });

  it('returns the same text when every key is already set', () => {
    const text = '[model_providers.tailgate]\nbase_url = "http://ai/v1"\nwire_api = "responses"\n';
    expect(setTableKeys(text, PROVIDER, SET)).toBe(text);
  });

  it('inserts right after the header of an empty table', () => {
    expect(setTableKeys('[model_providers.tailgate]\n# nothing yet\n[other]\n', PROVIDER, SET)).toBe(
      '[model_providers.tailgate]\nbase_url = "http://ai/v1"\nwire_api = "responses"\n# nothing yet\n[other]\n',
    );
  });

  it('accepts a table that only has sub-tables so far', () => {
    const text = '[model_providers.tailgate.http_headers]\nX = "1"\n';
    expect(setTableKeys(text, PROVIDER, SET)).toBe(`${text}\n[model_providers.tailgate]\nbase_url = "http://ai/v1"\nwire_api = "responses"\n`);
  });

  it.each([
    ['an inline table in the root', 'model_providers = { tailgate = { name = "x" } }\n'],
    ['an inline table under [model_providers]', '[model_providers]\ntailgate = { name = "x" }\n'],
    ['dotted keys in the root', 'model_providers.tailgate.base_url = "x"\n'],
    ['dotted keys under [model_providers]', '[model_providers]\ntailgate.base_url = "x"\n'],
    ['an array of tables', '[[model_providers]]\nname = "x"\n'],
    ['a duplicate header', '[model_providers.tailgate]\n[model_providers.tailgate]\n'],
  ])('refuses a table defined by %s', (_what, text) => {
    expect(() => setTableKeys(text, PROVIDER, SET)).toThrow(TomlEditConflict);
  });

  it('does not mistake other providers under [model_providers] for ours', () => {
    const text = '[model_providers]\nopenrouter = { name = "OpenRouter", base_url = "https://openrouter.ai/api/v1" }\n';
    expect(setTableKeys(text, PROVIDER, SET)).toBe(
      `${text}\n[model_providers.tailgate]\nbase_url = "http://ai/v1"\nwire_api = "responses"\n`,
    );
  });
});
