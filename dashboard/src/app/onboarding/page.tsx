"use client";

import { useEffect, useState } from "react";
import { useRouter } from "next/navigation";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api, configToInput } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { useAction, useApiQuery } from "@/lib/query";
import { businessInfoSchema } from "@/lib/schemas";
import type { BotConfig, DocumentSummary, Page, Tenant } from "@/lib/types";
import { Logo } from "@/components/AuthCard";
import { ChatPreview } from "@/components/ChatPreview";
import { CrispConnect, WidgetInstall } from "@/components/InstallPanel";
import { KnowledgeForm } from "@/components/KnowledgeForm";
import { Guard } from "@/components/Shell";
import { useFeedback } from "@/components/feedback";
import { ListView, QueryView } from "@/components/DataTable";
import { Button, Card, ErrorBox, TextArea, TextInput, cx } from "@/components/ui";

const STEPS = ["Business info", "Knowledge", "Try it", "Install"] as const;

export default function OnboardingPage() {
  return (
    <Guard area="tenant">
      <Wizard />
    </Guard>
  );
}

function Wizard() {
  const router = useRouter();
  const [step, setStep] = useState(0);
  const [website, setWebsite] = useState("");
  const config = useApiQuery<BotConfig>("/customer/config");

  const next = () => setStep((s) => Math.min(STEPS.length - 1, s + 1));
  const back = () => setStep((s) => Math.max(0, s - 1));

  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-4xl items-center justify-between px-4 py-3">
          <Logo />
          <Button variant="ghost" size="sm" onClick={() => router.push("/app/")} data-testid="wizard-skip">
            Skip to dashboard
          </Button>
        </div>
      </header>
      <main className="mx-auto max-w-4xl px-4 py-6">
        <h1 className="text-xl font-semibold text-slate-900 sm:text-2xl">Set up your front desk</h1>
        <Progress step={step} onJump={(i) => i < step && setStep(i)} />
        <QueryView query={config}>
          {(cfg) => (
            <div className="mt-6">
              {step === 0 && (
                <StepBusiness
                  config={cfg}
                  website={website}
                  onSaved={(saved, site) => {
                    config.setData(saved);
                    setWebsite(site);
                    next();
                  }}
                />
              )}
              {step === 1 && <StepKnowledge onBack={back} onNext={next} />}
              {step === 2 && (
                <div className="space-y-4">
                  <Card title="Try your bot">
                    <p className="mb-3 text-sm text-slate-600">Ask a question a visitor might ask. Answers use the knowledge you just added.</p>
                    <ChatPreview greeting={cfg.greeting} botName={cfg.bot_name} />
                  </Card>
                  <Nav onBack={back} onNext={next} />
                </div>
              )}
              {step === 3 && (
                <div className="space-y-4">
                  <WidgetInstall defaultOrigin={website} />
                  <CrispConnect />
                  <div className="flex justify-between gap-2">
                    <Button variant="secondary" onClick={back} data-testid="wizard-back">
                      Back
                    </Button>
                    <Button onClick={() => router.push("/app/")} data-testid="wizard-finish">
                      Finish
                    </Button>
                  </div>
                </div>
              )}
            </div>
          )}
        </QueryView>
      </main>
    </div>
  );
}

function Progress({ step, onJump }: { step: number; onJump: (i: number) => void }) {
  return (
    <div className="mt-4">
      <div className="h-1.5 w-full rounded bg-slate-200" role="progressbar" aria-valuemin={1} aria-valuemax={STEPS.length} aria-valuenow={step + 1} aria-label="Setup progress">
        <div className="h-1.5 rounded bg-brand-600 transition-all" style={{ width: `${((step + 1) / STEPS.length) * 100}%` }} />
      </div>
      <ol className="mt-3 grid grid-cols-4 gap-1 text-xs sm:text-sm">
        {STEPS.map((label, i) => (
          <li key={label} aria-current={i === step ? "step" : undefined} data-testid={`wizard-step-${i + 1}`}>
            <button
              type="button"
              onClick={() => onJump(i)}
              disabled={i >= step}
              className={cx(
                "flex w-full flex-col items-center gap-1 text-center sm:flex-row sm:text-left",
                i === step ? "font-semibold text-brand-700" : i < step ? "text-slate-700" : "text-slate-400",
              )}
            >
              <span
                className={cx(
                  "inline-flex h-6 w-6 shrink-0 items-center justify-center rounded-full text-xs",
                  i < step ? "bg-brand-600 text-white" : i === step ? "border-2 border-brand-600 text-brand-700" : "border border-slate-300",
                )}
              >
                {i < step ? "✓" : i + 1}
              </span>
              {label}
            </button>
          </li>
        ))}
      </ol>
    </div>
  );
}

function Nav({ onBack, onNext, nextLabel = "Next", loading }: { onBack?: () => void; onNext?: () => void; nextLabel?: string; loading?: boolean }) {
  return (
    <div className="flex justify-between gap-2">
      {onBack ? (
        <Button variant="secondary" onClick={onBack} data-testid="wizard-back">
          Back
        </Button>
      ) : (
        <span />
      )}
      <Button type={onNext ? "button" : "submit"} onClick={onNext} loading={loading} data-testid="wizard-next">
        {nextLabel}
      </Button>
    </div>
  );
}

function StepBusiness({ config, website, onSaved }: { config: BotConfig; website: string; onSaved: (cfg: BotConfig, website: string) => void }) {
  const { can, me, reload } = useAuth();
  const { toastError } = useFeedback();
  const save = useAction(
    async (v: { business_name: string; bot_name: string; greeting: string }) => {
      const res = await api.put<BotConfig>("/customer/config", configToInput(config, { business_name: v.business_name, bot_name: v.bot_name, greeting: v.greeting || null }));
      if (v.business_name !== me?.tenant_name) {
        try {
          await api.patch<Tenant>("/customer/business", { name: v.business_name });
          void reload();
        } catch (e) {
          toastError(e); // renaming the business needs owner rights; the bot config is already saved
        }
      }
      return res.data;
    },
    { success: "Saved", toastError: false /* shown in the form */ },
  );
  const error = save.error;
  const { register, handleSubmit, formState, setValue } = useForm({
    resolver: zodResolver(businessInfoSchema),
    defaultValues: {
      business_name: config.business_name || me?.tenant_name || "",
      bot_name: config.bot_name || "Assistant",
      greeting: config.greeting ?? "",
      website,
    },
  });

  useEffect(() => {
    if (!config.business_name && me?.tenant_name) setValue("business_name", me.tenant_name);
  }, [config.business_name, me, setValue]);

  const writable = can("config:write");

  const onSubmit = handleSubmit(async (v) => {
    if (!writable) {
      onSaved(config, v.website);
      return;
    }
    const saved = await save.run(v);
    if (saved) onSaved(saved, v.website);
  });

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <Card title="Tell us about your business">
        <div className="space-y-4">
          {error && <ErrorBox error={error} />}
          {!writable && <p className="text-sm text-slate-500">You can view these settings; an admin can change them.</p>}
          <TextInput label="Business name" disabled={!writable} {...register("business_name")} error={formState.errors.business_name?.message} />
          <TextInput label="Bot name" disabled={!writable} {...register("bot_name")} error={formState.errors.bot_name?.message} />
          <TextArea
            label="Greeting"
            rows={2}
            disabled={!writable}
            placeholder="Hi! How can I help you today?"
            {...register("greeting")}
            error={formState.errors.greeting?.message}
          />
          <TextInput
            label="Website"
            type="url"
            placeholder="https://shop.example.com"
            hint="Where you will install the chat widget."
            {...register("website")}
            error={formState.errors.website?.message}
          />
        </div>
      </Card>
      <Nav loading={formState.isSubmitting} nextLabel="Save and continue" />
    </form>
  );
}

function StepKnowledge({ onBack, onNext }: { onBack: () => void; onNext: () => void }) {
  const { can } = useAuth();
  const docs = useApiQuery<Page<DocumentSummary>>("/customer/knowledge", { limit: 50 });
  return (
    <div className="space-y-4">
      <div className="grid gap-4 md:grid-cols-5">
        <Card title="Teach your bot" className="md:col-span-3">
          {can("knowledge:write") ? (
            <KnowledgeForm />
          ) : (
            <p className="text-sm text-slate-500">You don’t have permission to add knowledge.</p>
          )}
        </Card>
        <Card title="Your knowledge" className="md:col-span-2">
          <ListView<DocumentSummary> query={docs} retry={false} empty={<p className="text-sm text-slate-500">Nothing yet. Add at least one document so the bot can answer.</p>}>
            {(items) => (
              <ul className="space-y-2" data-testid="knowledge-list">
                {items.map((d) => (
                  <li key={d.id} className="rounded-md border border-slate-200 px-3 py-2 text-sm">
                    <p className="font-medium text-slate-800">{d.name}</p>
                    <p className="text-xs text-slate-500">
                      {d.chars.toLocaleString()} chars · {d.chunks} chunks
                    </p>
                  </li>
                ))}
              </ul>
            )}
          </ListView>
        </Card>
      </div>
      <Nav onBack={onBack} onNext={onNext} />
    </div>
  );
}
