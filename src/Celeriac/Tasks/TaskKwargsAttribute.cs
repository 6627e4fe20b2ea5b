namespace Celeriac.Tasks;

/// <summary>
/// Marks the parameter that receives the keyword arguments no other parameter took, like Python's
/// <c>**kwargs</c>. Its type must be <c>JsonObject</c> or a <c>IDictionary&lt;string, T&gt;</c>.
/// (A trailing <c>params T[]</c> parameter plays the part of <c>*args</c>.)
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class TaskKwargsAttribute : Attribute
{
}
