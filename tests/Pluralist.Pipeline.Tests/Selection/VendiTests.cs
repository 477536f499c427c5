using Pluralist.Pipeline.Selection;

namespace Pluralist.Pipeline.Tests.Selection;

public class VendiTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(9)]
    public void Identical_items_score_one_and_orthogonal_items_score_n(int n)
    {
        var ones = new double[n, n];
        var eye = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            eye[i, i] = 1;
            for (int j = 0; j < n; j++)
            {
                ones[i, j] = 1;
            }
        }

        Assert.Equal(1, Vendi.Score(ones), 9);
        Assert.Equal(n, Vendi.Score(eye), 9);
    }

    [Fact]
    public void Two_items_with_similarity_s_match_the_closed_form()
    {
        // Eigenvalues of [[1, s], [s, 1]] / 2 are (1 +- s) / 2.
        foreach (var s in new[] { 0.0, 0.3, 0.8, -0.5 })
        {
            double a = (1 + s) / 2, b = (1 - s) / 2;
            double expected = Math.Exp(-(a * Math.Log(a) + b * Math.Log(b)));
            Assert.Equal(expected, Vendi.Score(new[,] { { 1, s }, { s, 1 } }), 12);
        }
    }

    [Fact]
    public void Two_clusters_of_duplicates_score_two()
    {
        var s = new double[,] { { 1, 1, 0, 0 }, { 1, 1, 0, 0 }, { 0, 0, 1, 1 }, { 0, 0, 1, 1 } };
        Assert.Equal(2, Vendi.Score(s), 9);
    }

    [Fact]
    public void Jacobi_eigenvalues_match_a_known_matrix()
    {
        // [[2, 1, 0], [1, 2, 1], [0, 1, 2]] has eigenvalues 2 - sqrt 2, 2, 2 + sqrt 2.
        var e = Vendi.SymmetricEigenvalues(new double[,] { { 2, 1, 0 }, { 1, 2, 1 }, { 0, 1, 2 } });
        Assert.Equal(2 - Math.Sqrt(2), e[0], 12);
        Assert.Equal(2, e[1], 12);
        Assert.Equal(2 + Math.Sqrt(2), e[2], 12);
    }

    [Fact]
    public void Asymmetric_matrix_is_rejected()
    {
        Assert.Contains("not symmetric", Assert.Throws<ArgumentException>(() => Vendi.Score(new double[,] { { 1, 0.2 }, { 0.3, 1 } })).Message, StringComparison.Ordinal);
    }
}
