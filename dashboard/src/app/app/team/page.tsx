"use client";

import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { formatDate } from "@/lib/hooks";
import { useAction, useApiQuery } from "@/lib/query";
import { inviteSchema } from "@/lib/schemas";
import { ROLES, type Member, type Team } from "@/lib/types";
import { useFeedback } from "@/components/feedback";
import { DataTable } from "@/components/DataTable";
import { Badge, Button, Card, Empty, PageHeader, Select, TextInput, selectClass } from "@/components/ui";

const TEAM = "/customer/team";

export default function TeamPage() {
  const { can, me } = useAuth();
  const { confirm } = useFeedback();
  const team = useApiQuery<Team>(TEAM);
  const manage = can("team:manage");

  const { register, handleSubmit, formState, reset } = useForm({
    resolver: zodResolver(inviteSchema),
    defaultValues: { email: "", role: "member" as (typeof ROLES)[number] },
  });

  const sendInvite = useAction((v: { email: string; role: string }) => api.post(`${TEAM}/invitations`, v), {
    success: (_, v) => `Invitation sent to ${v.email}`,
    invalidates: [TEAM],
    onSuccess: () => reset(),
  });
  const invite = handleSubmit((v) => sendInvite.run(v));
  const setRole = useAction(({ m, role }: { m: Member; role: string }) => api.patch(`${TEAM}/members/${m.user_id}`, { role }), { success: "Role updated", invalidates: [TEAM] });
  const removeMember = useAction((m: Member) => api.delete(`${TEAM}/members/${m.user_id}`), { success: "Member removed", invalidates: [TEAM] });
  const busy = setRole.isPending ? setRole.variables?.m.user_id : removeMember.isPending ? removeMember.variables?.user_id : undefined;

  const changeRole = async (m: Member, role: string) => {
    if (role === m.role) return;
    if (m.user_id === me?.id) {
      const ok = await confirm({ title: "Change your own role?", message: `You will become ${role} and may lose access to this page.`, confirmLabel: "Change role" });
      if (!ok) return;
    }
    setRole.mutate({ m, role });
  };

  const remove = async (m: Member) => {
    const ok = await confirm({ title: `Remove ${m.name || m.email}?`, message: "They will lose access to this business immediately.", confirmLabel: "Remove" });
    if (ok) removeMember.mutate(m);
  };

  return (
    <>
      <PageHeader title="Team" description="Who can use this dashboard." />
      {manage && (
        <Card title="Invite someone" className="mb-5">
          <form onSubmit={invite} className="grid gap-3 sm:grid-cols-[1fr_12rem_auto] sm:items-start" noValidate>
            <TextInput label="Email" type="email" {...register("email")} error={formState.errors.email?.message} />
            <Select label="Role" {...register("role")} error={formState.errors.role?.message}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </Select>
            <div className="sm:pt-6">
              <Button type="submit" loading={formState.isSubmitting} data-testid="team-invite">
                Send invite
              </Button>
            </div>
          </form>
        </Card>
      )}
      <div className="space-y-5">
        <DataTable<Member, Team>
          query={team}
          rows={(t) => t.members}
          rowKey={(m) => m.user_id}
          rowProps={(m) => ({ "data-testid": "member-row", "data-user-id": m.user_id })}
          columns={[
            {
              header: "Member",
              cell: (m) => (
                <>
                  <p className="font-medium text-slate-900">
                    {m.name || m.email} {m.user_id === me?.id && <Badge>you</Badge>}
                  </p>
                  <p className="text-xs text-slate-500">{m.email}</p>
                </>
              ),
            },
            {
              header: "Role",
              cell: (m) =>
                manage ? (
                  <select
                    name="role"
                    aria-label={`Role of ${m.email}`}
                    className={selectClass}
                    value={m.role}
                    disabled={busy === m.user_id}
                    onChange={(e) => void changeRole(m, e.target.value)}
                    data-testid="member-role"
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                ) : (
                  <Badge>{m.role}</Badge>
                ),
            },
            { header: "Joined", className: "whitespace-nowrap", cell: (m) => formatDate(m.joined_at) },
            {
              header: <span className="sr-only">Actions</span>,
              className: "text-right",
              cell: (m) =>
                manage &&
                m.user_id !== me?.id && (
                  <Button variant="secondary" size="sm" onClick={() => void remove(m)} disabled={busy === m.user_id} data-testid="member-remove" data-user-id={m.user_id}>
                    Remove
                  </Button>
                ),
            },
          ]}
        />
        {team.data && (
          <Card title="Pending invitations">
            {team.data.invitations.length === 0 ? (
              <Empty title="No pending invitations" />
            ) : (
              <ul className="divide-y divide-slate-100 text-sm">
                {team.data.invitations.map((i) => (
                  <li key={i.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
                    <span>
                      {i.email} <Badge>{i.role}</Badge>
                    </span>
                    <span className="text-xs text-slate-500">expires {formatDate(i.expires_at)}</span>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        )}
      </div>
    </>
  );
}
