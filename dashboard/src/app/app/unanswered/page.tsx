"use client";

import { useState, type FormEvent } from "react";
import Link from "next/link";
import { api } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { formatDate } from "@/lib/hooks";
import { useAction, useApiQuery } from "@/lib/query";
import type { GapAnswerOut, GapGroup, GapReason, Page } from "@/lib/types";
import { useFeedback } from "@/components/feedback";
import { ListView } from "@/components/DataTable";
import { Badge, Button, Dialog, Empty, PageHeader, TextArea } from "@/components/ui";

const LIMIT = 20;
const MAX_ANSWER = 10_000;
const GAPS = "/customer/knowledge/gaps";

const REASONS: Record<GapReason, { label: string; tone: "slate" | "amber" | "red" | "blue" }> = {
  no_answer: { label: "no answer found", tone: "amber" },
  low_score: { label: "weak answer", tone: "amber" },
  rated_down: { label: "rated 👎", tone: "red" },
  handed_off: { label: "handed to a person", tone: "blue" },
};

export default function UnansweredPage() {
  const { can } = useAuth();
  const { confirm } = useFeedback();
  const [page, setPage] = useState(1);
  const [answering, setAnswering] = useState<GapGroup | null>(null);
  const gaps = useApiQuery<Page<GapGroup>>(GAPS, { page, limit: LIMIT });
  const dismissGroup = useAction((g: GapGroup) => api.post(`${GAPS}/dismiss`, { questions: g.questions }), { success: "Question dismissed", invalidates: [GAPS] });
  const dismissing = dismissGroup.isPending ? dismissGroup.variables?.question : undefined;
  const write = can("knowledge:write");

  const dismiss = async (g: GapGroup) => {
    const ok = await confirm({
      title: "Dismiss this question?",
      message: `“${g.question}” and its other wordings leave this list for good.`,
      confirmLabel: "Dismiss",
    });
    if (ok) dismissGroup.mutate(g);
  };

  return (
    <>
      <PageHeader
        title="Unanswered questions"
        description="What visitors asked in the last 30 days that the bot could not answer well, similar questions grouped. Add an answer and the bot uses it from the next question on."
      />
      <ListView<GapGroup>
        query={gaps}
        onPage={setPage}
        empty={<Empty title="No unanswered questions">When the bot finds no answer, an answer is rated 👎, or a visitor asks for a person right after an answer, the question shows up here.</Empty>}
      >
        {(items) => (
          <ul className="space-y-3" data-testid="gaps">
            {items.map((g) => (
              <li key={g.question} className="rounded-lg border border-slate-200 bg-white p-4" data-testid="gap" data-question={g.question}>
                <div className="flex flex-wrap items-start justify-between gap-3">
                  <div className="min-w-0 flex-1">
                    <p className="font-medium text-slate-900 break-words">{g.question}</p>
                    <p className="mt-1 text-xs text-slate-500">
                      Asked {g.count === 1 ? "once" : `${g.count} times`} · last <time dateTime={g.last_asked_at}>{formatDate(g.last_asked_at)}</time>
                    </p>
                    <div className="mt-2 flex flex-wrap gap-1.5" aria-label="Why it is listed">
                      {g.reasons.map((r) => (
                        <Badge key={r} tone={REASONS[r].tone}>
                          {REASONS[r].label}
                        </Badge>
                      ))}
                    </div>
                    {g.questions.length > 1 && (
                      <details className="mt-2 text-sm text-slate-600">
                        <summary className="cursor-pointer text-xs text-slate-500">{g.questions.length - 1} similar {g.questions.length === 2 ? "question" : "questions"}</summary>
                        <ul className="mt-1 list-disc pl-5">
                          {g.questions.slice(1).map((q) => (
                            <li key={q} className="break-words">
                              {q}
                            </li>
                          ))}
                        </ul>
                      </details>
                    )}
                    {g.conversation_ids.length > 0 && (
                      <p className="mt-2 text-xs">
                        <Link prefetch={false} href={`/app/conversations/view/?id=${g.conversation_ids[0]}`} className="text-brand-600 hover:underline">
                          See a conversation
                        </Link>
                      </p>
                    )}
                  </div>
                  {write && (
                    <div className="flex gap-2">
                      <Button size="sm" onClick={() => setAnswering(g)} data-testid="gap-answer">
                        Add an answer
                      </Button>
                      <Button size="sm" variant="secondary" loading={dismissing === g.question} onClick={() => void dismiss(g)} data-testid="gap-dismiss">
                        Dismiss
                      </Button>
                    </div>
                  )}
                </div>
              </li>
            ))}
          </ul>
        )}
      </ListView>
      {answering && <AnswerDialog group={answering} onClose={() => setAnswering(null)} />}
    </>
  );
}

function AnswerDialog({ group, onClose }: { group: GapGroup; onClose: () => void }) {
  const [answer, setAnswer] = useState("");
  const [error, setError] = useState<string | undefined>();
  const post = useAction((text: string) => api.post<GapAnswerOut>(`${GAPS}/answer`, { question: group.question, answer: text, questions: group.questions }), {
    success: (res) => `Answer added to “${res.data.document.name}”`,
    invalidates: ["/customer/knowledge"], // the gaps, and the document the answer went into
    onSuccess: onClose,
  });

  const save = (e?: FormEvent) => {
    e?.preventDefault();
    const text = answer.trim();
    if (!text) return setError("Write the answer the bot should give.");
    if (text.length > MAX_ANSWER) return setError(`At most ${MAX_ANSWER.toLocaleString()} characters.`);
    post.mutate(text);
  };

  return (
    <Dialog
      open
      title="Add an answer"
      onClose={onClose}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => save()} loading={post.isPending} data-testid="gap-answer-save">
            Save answer
          </Button>
        </>
      }
    >
      <form onSubmit={save} className="space-y-3" noValidate>
        <p>
          <span className="text-slate-500">Question:</span> <span className="font-medium text-slate-900 break-words">{group.question}</span>
        </p>
        <TextArea
          label="Answer"
          rows={6}
          value={answer}
          onChange={(e) => {
            setAnswer(e.target.value);
            setError(undefined);
          }}
          error={error}
          hint="Saved as a question and answer in your “Answers” knowledge document."
          data-testid="gap-answer-text"
          autoFocus
        />
      </form>
    </Dialog>
  );
}
