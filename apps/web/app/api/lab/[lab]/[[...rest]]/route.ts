import { proxyLabRequest } from '@/lib/labd/proxy';

export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ lab: string; rest?: string[] }> };
const handle = async (req: Request, ctx: Ctx) => proxyLabRequest(req, await ctx.params);

export { handle as GET, handle as POST, handle as PUT, handle as DELETE };
