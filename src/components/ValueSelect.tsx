import React, { useRef, useState } from 'react';
import { SelectableValue } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { MultiSelect, Select } from '@grafana/ui';

import type { DataSource } from '../datasource';
import { ValueOption, ValuesParams, VariableKind } from '../types';

/** Dashboard variables as `$name` options, so they can be picked as well as typed. */
export function templateVariableOptions(): Array<SelectableValue<string>> {
  try {
    return getTemplateSrv()
      .getVariables()
      .map((v) => ({ value: `$${v.name}`, label: `$${v.name}`, description: 'Dashboard variable' }));
  } catch {
    return [];
  }
}

/** Loads values/<kind> suggestions the first time the menu opens (and again when the parameters change). */
function useSuggestions(datasource: DataSource, kind: VariableKind | undefined, params: ValuesParams) {
  const [values, setValues] = useState<ValueOption[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const loadedKey = useRef<string | undefined>(undefined);
  const key = JSON.stringify([kind, params]);

  const load = async () => {
    if (!kind || loadedKey.current === key) {
      return;
    }
    loadedKey.current = key;
    setLoading(true);
    try {
      setValues(await datasource.getValues(kind, params));
      setError(undefined);
    } catch (err) {
      setValues([]);
      setError(err instanceof Error ? err.message : 'could not load values');
    } finally {
      setLoading(false);
    }
  };
  return { values, loading, error, load };
}

function buildOptions(
  values: ValueOption[],
  selected: string[],
  fixed: string[] | undefined
): Array<SelectableValue<string>> {
  const seen = new Set<string>();
  const out: Array<SelectableValue<string>> = [];
  const add = (o: SelectableValue<string>) => {
    if (o.value !== undefined && !seen.has(o.value)) {
      seen.add(o.value);
      out.push(o);
    }
  };
  for (const v of fixed ?? []) {
    add({ value: v, label: v });
  }
  for (const v of values) {
    add({ value: v.value, label: v.text, description: v.text !== v.value ? v.value : undefined });
  }
  for (const o of templateVariableOptions()) {
    add(o);
  }
  for (const v of selected) {
    add({ value: v, label: v });
  }
  return out;
}

interface CommonProps {
  datasource: DataSource;
  /** values/<kind> to suggest from; omit for a fixed list. */
  kind?: VariableKind;
  /** Fixed suggestions (e.g. conference status). */
  fixed?: string[];
  params?: ValuesParams;
  inputId?: string;
  width?: number;
  placeholder?: string;
}

export function MultiValueSelect(
  props: CommonProps & { value: string[] | undefined; onChange: (v: string[]) => void }
) {
  const { datasource, kind, fixed, params = {}, value = [], onChange, inputId, width, placeholder } = props;
  const { values, loading, load } = useSuggestions(datasource, kind, params);
  return (
    <MultiSelect<string>
      inputId={inputId}
      width={width ?? 30}
      allowCustomValue
      isClearable
      isLoading={loading}
      placeholder={placeholder ?? 'Any'}
      options={buildOptions(values, value, fixed)}
      value={value}
      onOpenMenu={load}
      onChange={(v: Array<SelectableValue<string>>) =>
        onChange(v.map((o) => o.value ?? '').filter((s) => s.trim() !== ''))
      }
    />
  );
}

export function SingleValueSelect(
  props: CommonProps & { value: string | undefined; onChange: (v: string | undefined) => void }
) {
  const { datasource, kind, fixed, params = {}, value, onChange, inputId, width, placeholder } = props;
  const { values, loading, load } = useSuggestions(datasource, kind, params);
  return (
    <Select<string>
      inputId={inputId}
      width={width ?? 30}
      allowCustomValue
      isClearable
      isLoading={loading}
      placeholder={placeholder ?? 'Any'}
      options={buildOptions(values, value ? [value] : [], fixed)}
      value={value ?? null}
      onOpenMenu={load}
      onChange={(v: SelectableValue<string> | null) => onChange(v?.value ? v.value : undefined)}
    />
  );
}
