"use client";

import Link from "next/link";
import { api } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { useQueryParam } from "@/lib/hooks";
import { useAction, useApiQuery } from "@/lib/query";
import type { Transcript } from "@/lib/types";
import { useFeedback } from "@/components/feedback";
import { QueryView } from "@/components/DataTable";
import { Transcript as TranscriptView } from "@/components/Transcript";
import { Badge, Button, ErrorBox, Loading, PageHeader } from "@/components/ui";

export default function ConversationViewPage() {
  const id = useQueryParam("id");
  const { can } = useAuth();
  const { confirm } = useFeedback();
  const url = id ? `/customer/conversations/${encodeURIComponent(id)}` : null;
  const t = useApiQuery<Transcript>(url);
  const post = useAction((conversation: string) => api.post(`${conversation}/release`), { success: "Released to the bot", invalidates: ["/customer/conversations"] });
  const releasing = post.isPending;

  const release = async () => {
    if (!url) return;
    const ok = await confirm({
      title: "Hand this conversation back to the bot?",
      message: "The bot will start answering this visitor again.",
      confirmLabel: "Release",
      danger: false,
    });
    if (ok) post.mutate(url);
  };

  return (
    <>
      <Link prefetch={false} href="/app/conversations/" className="mb-3 inline-block text-sm text-brand-600 hover:underline">
        ← All conversations
      </Link>
      {id === null && <ErrorBox error="No conversation selected." />}
      {id === undefined && <Loading />}
      <QueryView query={t}>
        {(c) => (
          <>
            <PageHeader
              title="Conversation"
              description={
                <span className="flex flex-wrap items-center gap-2">
                  <Badge tone={c.status === "handoff" ? "amber" : c.status === "open" ? "green" : "slate"}>{c.status}</Badge>
                  <span>{c.channel}</span>
                  <span className="text-slate-400">{c.session_id}</span>
                  {c.language && <span>· {c.language}</span>}
                </span>
              }
              actions={
                c.status === "handoff" &&
                can("conversations:write") && (
                  <Button onClick={() => void release()} loading={releasing} data-testid="conversation-release">
                    Release to bot
                  </Button>
                )
              }
            />
            <TranscriptView transcript={c} />
          </>
        )}
      </QueryView>
    </>
  );
}
