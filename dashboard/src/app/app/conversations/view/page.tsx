"use client";

import Link from "next/link";
import { useState } from "react";
import { api, errorMessage } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { useQueryParam } from "@/lib/hooks";
import { useApiQuery } from "@/lib/query";
import type { Transcript } from "@/lib/types";
import { useFeedback } from "@/components/feedback";
import { Transcript as TranscriptView } from "@/components/Transcript";
import { Badge, Button, ErrorBox, Loading, PageHeader } from "@/components/ui";

export default function ConversationViewPage() {
  const id = useQueryParam("id");
  const { can } = useAuth();
  const { toast, confirm } = useFeedback();
  const [releasing, setReleasing] = useState(false);
  const t = useApiQuery<Transcript>(id ? `/customer/conversations/${encodeURIComponent(id)}` : null);

  const release = async () => {
    if (!id) return;
    const ok = await confirm({
      title: "Hand this conversation back to the bot?",
      message: "The bot will start answering this visitor again.",
      confirmLabel: "Release",
      danger: false,
    });
    if (!ok) return;
    setReleasing(true);
    try {
      await api.post(`/customer/conversations/${encodeURIComponent(id)}/release`);
      toast("Released to the bot", "success");
      void t.refetch();
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setReleasing(false);
    }
  };

  return (
    <>
      <Link prefetch={false} href="/app/conversations/" className="mb-3 inline-block text-sm text-brand-600 hover:underline">
        ← All conversations
      </Link>
      {id === null && <ErrorBox error="No conversation selected." />}
      {t.error && <ErrorBox error={t.error} onRetry={() => void t.refetch()} />}
      {(id === undefined || (t.isLoading && !t.data)) && <Loading />}
      {t.data && (
        <>
          <PageHeader
            title="Conversation"
            description={
              <span className="flex flex-wrap items-center gap-2">
                <Badge tone={t.data.status === "handoff" ? "amber" : t.data.status === "open" ? "green" : "slate"}>{t.data.status}</Badge>
                <span>{t.data.channel}</span>
                <span className="text-slate-400">{t.data.session_id}</span>
                {t.data.language && <span>· {t.data.language}</span>}
              </span>
            }
            actions={
              t.data.status === "handoff" &&
              can("conversations:write") && (
                <Button onClick={() => void release()} loading={releasing} data-testid="conversation-release">
                  Release to bot
                </Button>
              )
            }
          />
          <TranscriptView transcript={t.data} />
        </>
      )}
    </>
  );
}
