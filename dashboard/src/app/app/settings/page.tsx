"use client";

import { useEffect } from "react";
import { useFieldArray, useForm, useWatch, type Control, type FieldErrors, type UseFormRegister } from "react-hook-form";
import type { z } from "zod";
import { zodResolver } from "@hookform/resolvers/zod";
import { api, configToInput } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { useAction, useApiQuery } from "@/lib/query";
import {
  BUILTIN_INTENTS,
  INTENT_ACTIONS,
  INTENT_ACTION_LABELS,
  configSchema,
  inheritsRules,
  splitLines,
  splitList,
  type IntentAction,
} from "@/lib/schemas";
import type { BotConfig } from "@/lib/types";
import { ChatPreview } from "@/components/ChatPreview";
import { QueryView } from "@/components/DataTable";
import { Button, Card, ErrorBox, Field, PageHeader, Select, TextArea, TextInput, cx } from "@/components/ui";

type ConfigForm = z.input<typeof configSchema>;
type IntentForm = ConfigForm["intents"][number];

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function intentDefaults(raw: Record<string, unknown>): IntentForm {
  const action = typeof raw.action === "string" && (INTENT_ACTIONS as readonly string[]).includes(raw.action) ? (raw.action as IntentAction) : "answer";
  return {
    name: typeof raw.name === "string" ? raw.name : "",
    keywords: strings(raw.keywords).join(", "),
    patterns: strings(raw.patterns).join("\n"),
    examples: strings(raw.examples).join("\n"),
    action,
  };
}

/** Form values → API intents; a built-in override leaves out empty lists so it keeps the built-in's. */
function intentsToInput(list: IntentForm[]): Record<string, unknown>[] {
  return list.map((it) => {
    const name = it.name.trim();
    const out: Record<string, unknown> = { name, action: it.action };
    const lists = { keywords: splitList(it.keywords), patterns: splitLines(it.patterns), examples: splitLines(it.examples) };
    for (const [k, v] of Object.entries(lists)) if (v.length > 0 || !inheritsRules(name)) out[k] = v;
    return out;
  });
}

function defaults(c: BotConfig): ConfigForm {
  return {
    business_name: c.business_name ?? "",
    bot_name: c.bot_name ?? "Assistant",
    greeting: c.greeting ?? "",
    tone: c.tone ?? "",
    instructions: c.instructions ?? "",
    system_prompt: c.system_prompt ?? "",
    language: c.language ?? "",
    default_language: c.default_language || "en",
    booking_url: c.booking_url ?? "",
    pii_store: (c.pii?.store === "raw" ? "raw" : "redacted") as "raw" | "redacted",
    knowledge_embeddings: (c.knowledge?.embeddings === "openai" ? "openai" : "embedded") as "embedded" | "openai",
    handoff_keywords: (c.handoff?.keywords ?? []).join(", "),
    handoff_intents: strings(c.handoff?.intents),
    intents: (c.intents ?? []).map(intentDefaults),
    widget_color: typeof c.widget?.color === "string" ? c.widget.color : "#2563eb",
    widget_avatar_url: c.widget?.avatar_url ?? "",
    widget_position: (c.widget?.position === "left" ? "left" : "right") as "left" | "right",
    widget_show_sources: c.widget?.show_sources ?? true,
    widget_hide_branding: c.widget?.hide_branding ?? false,
    widget_placeholder: c.widget?.placeholder ?? "",
  };
}

export default function SettingsPage() {
  const config = useApiQuery<BotConfig>("/customer/config");
  return (
    <>
      <PageHeader title="Bot settings" description="How your assistant talks, what it keeps, and how the widget looks." />
      <QueryView query={config}>{(c) => <SettingsForm config={c} onSaved={config.setData} />}</QueryView>
    </>
  );
}

function SettingsForm({ config, onSaved }: { config: BotConfig; onSaved: (c: BotConfig) => void }) {
  const { can } = useAuth();
  const put = useAction((body: Record<string, unknown>) => api.put<BotConfig>("/customer/config", body), {
    success: "Settings saved",
    onSuccess: (res) => onSaved(res.data),
  });
  const error = put.error; // shown above the form too: the toast goes away
  const writable = can("config:write");
  const { register, handleSubmit, formState, reset, setValue, control } = useForm<ConfigForm, unknown, z.output<typeof configSchema>>({
    resolver: zodResolver(configSchema),
    defaultValues: defaults(config),
  });

  useEffect(() => {
    reset(defaults(config));
  }, [config, reset]);

  const color = useWatch({ control, name: "widget_color" });
  const position = useWatch({ control, name: "widget_position" });
  const validColor = /^#[0-9a-fA-F]{6}$/.test(color) ? color : "#2563eb";

  const onSubmit = handleSubmit((v) =>
    put.run(
      configToInput(config, {
        business_name: v.business_name,
        bot_name: v.bot_name,
        greeting: v.greeting || null,
        tone: v.tone,
        instructions: v.instructions,
        system_prompt: v.system_prompt.trim() ? v.system_prompt : null,
        language: v.language || null,
        default_language: v.default_language,
        booking_url: v.booking_url || null,
        pii: { ...config.pii, store: v.pii_store },
        knowledge: { ...config.knowledge, embeddings: v.knowledge_embeddings },
        intents: intentsToInput(v.intents),
        handoff: { ...config.handoff, keywords: splitList(v.handoff_keywords), intents: v.handoff_intents },
        widget: {
          ...config.widget,
          color: v.widget_color,
          avatar_url: v.widget_avatar_url || null,
          position: v.widget_position,
          show_sources: v.widget_show_sources,
          hide_branding: v.widget_hide_branding,
          placeholder: v.widget_placeholder || null,
        },
      }),
    ),
  );

  const err = formState.errors;
  const intents = useWatch({ control, name: "intents" });
  const handoffIntents = useWatch({ control, name: "handoff_intents" });
  const intentOptions = Array.from(
    new Set<string>([
      ...BUILTIN_INTENTS,
      ...intents.map((i) => i.name.trim()).filter((n) => /^[a-z][a-z0-9_]{0,49}$/.test(n)),
      ...handoffIntents,
    ]),
  );
  const toggleHandoffIntent = (name: string, on: boolean) => {
    const next = on ? [...handoffIntents.filter((n) => n !== name), name] : handoffIntents.filter((n) => n !== name);
    setValue("handoff_intents", next, { shouldDirty: true, shouldValidate: formState.isSubmitted });
  };

  return (
    <div className="space-y-5">
    <form onSubmit={onSubmit} className="space-y-5" noValidate>
      {error && <ErrorBox error={error} />}
      <fieldset disabled={!writable} className="space-y-5">
        <Card title="Personality">
          <div className="grid gap-4 sm:grid-cols-2">
            <TextInput label="Bot name" {...register("bot_name")} error={err.bot_name?.message} />
            <TextInput label="Business name" {...register("business_name")} error={err.business_name?.message} />
            <div className="sm:col-span-2">
              <TextArea label="Greeting" rows={2} {...register("greeting")} error={err.greeting?.message} />
            </div>
            <TextInput label="Tone" placeholder="friendly and professional" {...register("tone")} error={err.tone?.message} />
            <TextInput label="Booking URL" type="url" placeholder="https://cal.example.com/book" {...register("booking_url")} error={err.booking_url?.message} />
            <div className="sm:col-span-2">
              <TextArea label="Instructions" rows={5} hint="Extra rules for the bot (max 4000 characters)." {...register("instructions")} error={err.instructions?.message} />
              <TextArea
                label="System prompt template (advanced)"
                rows={5}
                hint="Replaces the built-in prompt. Placeholders: {business_name} {bot_name} {tone} {instructions} {knowledge} {language}. Leave empty for the default."
                {...register("system_prompt")}
                error={err.system_prompt?.message}
              />
            </div>
            <TextInput label="Reply language" placeholder="auto-detect" hint="Two letters (e.g. en). Leave empty to follow the visitor." {...register("language")} error={err.language?.message} />
            <TextInput label="Default language" {...register("default_language")} error={err.default_language?.message} />
          </div>
        </Card>
        <IntentsEditor control={control} register={register} errors={err} />
        <Card title="Answers">
          <div className="grid gap-4 sm:grid-cols-2">
            <Select
              label="Search by meaning with"
              hint="Built-in works offline. OpenAI embeddings understand more paraphrases and other languages, and use your LLM key. Changing it re-indexes your knowledge in the background."
              {...register("knowledge_embeddings")}
              error={err.knowledge_embeddings?.message}
            >
              <option value="embedded">Built-in model (no network)</option>
              <option value="openai">OpenAI embeddings</option>
            </Select>
          </div>
        </Card>
        <Card title="Privacy & handoff">
          <div className="grid gap-4 sm:grid-cols-2">
            <Select label="Store personal data" hint="Redacted keeps emails, phones etc. masked in transcripts." {...register("pii_store")} error={err.pii_store?.message}>
              <option value="redacted">Redacted</option>
              <option value="raw">Raw</option>
            </Select>
            <TextInput
              label="Handoff keywords"
              placeholder="human, agent, complaint"
              hint="Comma-separated. These hand the chat to a person."
              {...register("handoff_keywords")}
              error={err.handoff_keywords?.message}
            />
            <fieldset className="min-w-0 sm:col-span-2" data-testid="handoff-intents">
              <legend className="text-sm font-medium text-slate-700">Hand off on these intents</legend>
              <p className="text-xs text-slate-500">When a message matches one of these, the chat goes to a person.</p>
              <div className="mt-2 flex flex-wrap gap-x-4 gap-y-2">
                {intentOptions.map((name) => {
                  const known = (BUILTIN_INTENTS as readonly string[]).includes(name) || intents.some((i) => i.name.trim() === name);
                  return (
                    <label key={name} className="flex items-center gap-2 text-sm text-slate-700">
                      <input
                        type="checkbox"
                        name="handoff_intents"
                        value={name}
                        checked={handoffIntents.includes(name)}
                        onChange={(e) => toggleHandoffIntent(name, e.target.checked)}
                        className="h-4 w-4"
                      />
                      <span className="font-mono text-xs">{name}</span>
                      {!known && <span className="text-xs text-amber-700">(not defined)</span>}
                    </label>
                  );
                })}
              </div>
              {err.handoff_intents?.message && (
                <p role="alert" className="mt-1 text-xs text-red-600">
                  {err.handoff_intents.message}
                </p>
              )}
            </fieldset>
          </div>
        </Card>
        <Card title="Widget branding">
          <div className="grid gap-4 sm:grid-cols-3">
            <div className="space-y-4 sm:col-span-2">
              <div className="grid gap-4 sm:grid-cols-2">
                <Field label="Colour" error={err.widget_color?.message} htmlFor="widget-color-text">
                  <div className="flex gap-2">
                    <input
                      type="color"
                      aria-label="Pick colour"
                      value={validColor}
                      onChange={(e) => setValue("widget_color", e.target.value, { shouldValidate: true, shouldDirty: true })}
                      className="h-9 w-12 cursor-pointer rounded border border-slate-300"
                    />
                    <input
                      id="widget-color-text"
                      {...register("widget_color")}
                      className={cx("block w-full rounded-md border px-3 py-2 text-sm", err.widget_color ? "border-red-400" : "border-slate-300")}
                    />
                  </div>
                </Field>
                <Select label="Position" {...register("widget_position")} error={err.widget_position?.message}>
                  <option value="right">Bottom right</option>
                  <option value="left">Bottom left</option>
                </Select>
                <TextInput label="Avatar URL" type="url" placeholder="https://…/avatar.png" {...register("widget_avatar_url")} error={err.widget_avatar_url?.message} />
                <TextInput label="Input placeholder" placeholder="Type your message…" {...register("widget_placeholder")} error={err.widget_placeholder?.message} />
              </div>
              <label className="flex items-center gap-2 text-sm text-slate-700">
                <input type="checkbox" {...register("widget_show_sources")} className="h-4 w-4" />
                Show sources under answers
              </label>
              <label className="flex items-center gap-2 text-sm text-slate-700">
                <input type="checkbox" {...register("widget_hide_branding")} className="h-4 w-4" />
                Hide &ldquo;Powered by Frontdesk&rdquo; (Pro and Enterprise plans)
              </label>
            </div>
            <div>
              <p className="mb-1 text-sm font-medium text-slate-700">Preview</p>
              <div className="relative h-36 rounded-md border border-slate-200 bg-slate-50" data-testid="widget-preview">
                <span className="absolute left-3 top-3 text-xs text-slate-400">your website</span>
                <div
                  className={cx("absolute bottom-3 flex h-12 w-12 items-center justify-center rounded-full text-white shadow-lg", position === "left" ? "left-3" : "right-3")}
                  style={{ backgroundColor: validColor }}
                  aria-label="Launcher preview"
                >
                  <svg viewBox="0 0 24 24" className="h-6 w-6" fill="currentColor" aria-hidden="true">
                    <path d="M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" />
                  </svg>
                </div>
              </div>
            </div>
          </div>
        </Card>
      </fieldset>
      {writable && (
        <div className="flex justify-end">
          <Button type="submit" loading={formState.isSubmitting} data-testid="save-config">
            Save settings
          </Button>
        </div>
      )}
    </form>
      <Card title="Test your bot">
        <ChatPreview greeting={config.greeting} botName={config.bot_name} />
      </Card>
    </div>
  );
}

const EMPTY_INTENT: IntentForm = { name: "", keywords: "", patterns: "", examples: "", action: "answer" };

function IntentsEditor({
  control,
  register,
  errors,
}: {
  control: Control<ConfigForm, unknown, z.output<typeof configSchema>>;
  register: UseFormRegister<ConfigForm>;
  errors: FieldErrors<ConfigForm>;
}) {
  const { fields, append, remove } = useFieldArray({ control, name: "intents" });
  const listError = errors.intents?.message ?? errors.intents?.root?.message;
  return (
    <Card
      title="Intents"
      actions={
        <Button variant="secondary" size="sm" onClick={() => append({ ...EMPTY_INTENT })} disabled={fields.length >= 50} data-testid="intent-add">
          Add intent
        </Button>
      }
    >
      <p className="mb-3 text-sm text-slate-500">
        Teach the bot what visitors ask and what to do about it. Built-in intents ({BUILTIN_INTENTS.join(", ")}) always apply; an intent with the same name overrides one.
      </p>
      {fields.length === 0 && <p className="text-sm text-slate-500">No custom intents yet.</p>}
      <div className="space-y-4">
        {fields.map((f, i) => {
          const e = errors.intents?.[i];
          return (
            <fieldset key={f.id} className="min-w-0 space-y-3 rounded-md border border-slate-200 p-3" data-testid="intent-row">
              <legend className="px-1 text-xs font-medium text-slate-500">Intent {i + 1}</legend>
              <div className="grid gap-3 sm:grid-cols-2">
                <TextInput
                  label="Name"
                  placeholder="opening_hours"
                  hint="Lowercase letters, digits and _; starts with a letter."
                  autoComplete="off"
                  maxLength={50}
                  {...register(`intents.${i}.name`)}
                  error={e?.name?.message}
                />
                <Select label="Action" {...register(`intents.${i}.action`)} error={e?.action?.message}>
                  {INTENT_ACTIONS.map((a) => (
                    <option key={a} value={a}>
                      {INTENT_ACTION_LABELS[a]}
                    </option>
                  ))}
                </Select>
                <TextArea
                  label="Keywords"
                  rows={2}
                  placeholder="hours, open, closing time"
                  hint="Comma- or newline-separated."
                  {...register(`intents.${i}.keywords`)}
                  error={e?.keywords?.message}
                />
                <TextArea
                  label="Examples"
                  rows={2}
                  placeholder="When are you open on Sunday?"
                  hint="One example phrase per line."
                  {...register(`intents.${i}.examples`)}
                  error={e?.examples?.message}
                />
                <div className="sm:col-span-2">
                  <TextArea
                    label="Patterns (advanced)"
                    rows={2}
                    className="font-mono text-xs"
                    placeholder="\bopen(ing)? hours\b"
                    hint="Regular expressions, one per line. Optional."
                    {...register(`intents.${i}.patterns`)}
                    error={e?.patterns?.message}
                  />
                </div>
              </div>
              <div className="flex justify-end">
                <Button variant="ghost" size="sm" onClick={() => remove(i)} data-testid="intent-remove">
                  Remove intent
                </Button>
              </div>
            </fieldset>
          );
        })}
      </div>
      {listError && (
        <p role="alert" className="mt-2 text-xs text-red-600">
          {listError}
        </p>
      )}
    </Card>
  );
}
